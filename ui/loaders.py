"""The UI's units of work and cached reads. Pages call these; they never open sessions.

Reads are `st.cache_data(ttl=…)` functions whose first argument is the database URL (so
two databases never share entries) and which return picklable values (pydantic models,
frames), never ORM objects. Writes go through `call_as`, one committed unit of work per
action, followed by `forget_portfolio_reads()` so the next render shows the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.auth.acting import run_as, run_service
from core.auth.service import attempt_login, get_user, list_users
from core.config import Settings, get_settings
from core.db.session import session_scope
from core.errors import CoreError, NotFoundError
from core.forecasting.accuracy import realised_accuracy, realised_by_month
from core.forecasting.backtest import BacktestConfig, spread_step
from core.forecasting.service import backtest_models, forecast, forecast_skill
from core.jobs.runner import request_job_run
from core.jobs.schemas import JobRunRead
from core.jobs.service import get_job_run, list_job_runs, list_jobs
from core.market.service import get_price_history, list_tickers
from core.market.statistics import get_ticker_statistics
from core.portfolio.activities import list_activities, record_activity, update_activity
from core.portfolio.alerts import list_alerts, list_watchlist
from core.portfolio.analytics import measure_performance, returns_by_year, summarize_portfolio
from core.portfolio.analytics_cache import analytics_cache
from core.portfolio.closed import list_closed_positions
from core.portfolio.holdings import list_holdings
from core.portfolio.income import income_by_period
from core.portfolio.ledger import export_transactions, import_transactions, list_transactions, read_transactions_file
from core.portfolio.pricing import close_on, live_provider
from core.portfolio.projection import project_holdings as project
from core.portfolio.schemas import ActivityRead, PriceAlertRead, StockRead
from core.tracking.runs import log_backtests
from core.tracking.store import experiment_url
from core.tracking.summary import latest_backtest_summary
from models.catalog import describe_models


@dataclass(frozen=True)
class Account:
    """The logged-in user as the UI sees it (no hash, no ORM object)."""

    id: int
    email: str
    full_name: str | None
    role: str
    is_active: bool

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


def current_settings() -> Settings:
    return get_settings()


def database_key() -> str:
    """The cache key that separates databases (tests use several in one process)."""
    return get_settings().database_url


def call(service: Callable[..., Any], /, *, write: bool = True, **kwargs: Any) -> Any:
    """Run a core service in its own unit of work, committed before the page shows the outcome."""
    return run_service(get_settings(), service, write=write, **kwargs)


def call_as(
    user_id: int, service: Callable[..., Any], /, *, user_arg: str = "owner", write: bool = True, **kwargs: Any
) -> Any:
    """Run a core service as the user `user_id` (passed as `user_arg`), committed before the
    page shows the outcome."""
    return run_as(get_settings(), user_id, service, user_arg=user_arg, write=write, **kwargs)


# --- accounts ---------------------------------------------------------------------------------


def _account(user: Any) -> Account:
    return Account(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=str(user.role.value),
        is_active=bool(user.is_active),
    )


@st.cache_data(ttl=30, show_spinner=False)
def load_account(database_url: str, user_id: int) -> Account | None:
    with session_scope(get_settings()) as session:
        try:
            return _account(get_user(session, user_id=user_id))
        except NotFoundError:
            return None


def log_in(email: str, password: str) -> Account | str:
    """The account, or the message to show. Failed attempts are committed (lockout counts)."""

    with session_scope(get_settings()) as session:
        outcome = attempt_login(session, email=email, password=password)
        if isinstance(outcome, CoreError):
            return outcome.message[:1].upper() + outcome.message[1:]
        return _account(outcome)


@st.cache_data(ttl=10, show_spinner=False)
def load_users(database_url: str, admin_id: int) -> pd.DataFrame:
    rows, _total = call_as(admin_id, list_users, user_arg="actor", limit=500)
    return pd.DataFrame(
        [
            {
                "id": u.id,
                "email": u.email,
                "name": u.full_name or "",
                "role": u.role.value,
                "active": u.is_active,
                "created": u.created_at,
            }
            for u in rows
        ]
    )


# --- portfolio --------------------------------------------------------------------------------


@st.cache_data(ttl=60, show_spinner=False)
def load_holdings(database_url: str, user_id: int) -> list[Any]:
    rows, _total = call_as(user_id, list_holdings, write=False, limit=1000)
    return [StockRead.model_validate(row) for row in rows]


@st.cache_data(ttl=60, show_spinner=False)
def load_portfolio_summary(database_url: str, user_id: int) -> Any:
    return call_as(user_id, summarize_portfolio, write=False, cache=analytics_cache(get_settings()))


@st.cache_data(ttl=300, show_spinner=False)
def load_performance(
    database_url: str,
    user_id: int,
    benchmark: str | None,
    start: dt.date | None,
    period: str | None = None,
    end: dt.date | None = None,
) -> Any:
    """`measure_performance` over a named period (1M … ALL, a year) or start/end dates."""
    return call_as(
        user_id,
        measure_performance,
        write=False,
        period=period,
        start=start,
        end=end,
        benchmark=benchmark,
        cache=analytics_cache(get_settings()),
    )


@st.cache_data(ttl=300, show_spinner=False)
def load_returns_by_year(database_url: str, user_id: int, benchmark: str | None) -> Any:
    return call_as(user_id, returns_by_year, write=False, benchmark=benchmark, cache=analytics_cache(get_settings()))


@st.cache_data(ttl=30, show_spinner=False)
def load_transactions(database_url: str, user_id: int, limit: int = 500) -> tuple[pd.DataFrame, int]:
    rows, total = call_as(user_id, list_transactions, write=False, limit=limit)
    columns = ["date", "ticker", "type", "quantity", "price", "fee"]
    frame = pd.DataFrame([{c: getattr(row, c) for c in columns} for row in rows], columns=columns)
    if not frame.empty:
        frame["type"] = frame["type"].map(lambda value: getattr(value, "value", value))
    return frame, total


@st.cache_data(ttl=60, show_spinner=False)
def load_transactions_csv(database_url: str, user_id: int) -> str:
    return call_as(user_id, export_transactions, write=False)


@st.cache_data(ttl=30, show_spinner=False)
def load_activities(database_url: str, user_id: int) -> list[Any]:
    """The ledger's activities, newest first (TransactionRead models)."""

    return [ActivityRead.model_validate(row) for row in reversed(call_as(user_id, list_activities, write=False))]


@st.cache_data(ttl=60, show_spinner=False)
def load_closed_positions(database_url: str, user_id: int) -> list[Any]:
    return call_as(user_id, list_closed_positions, write=False)


@st.cache_data(ttl=60, show_spinner=False)
def load_income(database_url: str, user_id: int, freq: str) -> Any:
    return call_as(user_id, income_by_period, write=False, freq=freq)


@st.cache_data(ttl=300, show_spinner=False)
def load_close_on(database_url: str, ticker: str, day: dt.date) -> float | None:
    """The close valuation uses for `ticker` on `day` (on or before it)."""

    return call(close_on, write=False, ticker=ticker, day=day)


def record_activity_as(user_id: int, data: Any) -> Any:
    """Record an activity (fetching an unknown ticker first with a live DATA_PROVIDER)."""

    return call_as(user_id, record_activity, data=data, provider=live_provider(get_settings()))


def import_transactions_as(user_id: int, content: bytes) -> Any:
    """Import a transactions CSV, all or nothing (fetching unknown tickers with a live provider)."""

    parsed = read_transactions_file(content)  # before the unit of work: parsing holds no write lock
    return call_as(user_id, import_transactions, parsed=parsed, provider=live_provider(get_settings()))


def update_activity_as(user_id: int, activity_id: int, data: Any) -> Any:
    return call_as(user_id, update_activity, activity_id=activity_id, data=data, provider=live_provider(get_settings()))


def forget_portfolio_reads() -> None:
    """After a change to holdings or transactions: drop the cached portfolio reads."""
    for loader in (
        load_holdings,
        load_portfolio_summary,
        load_performance,
        load_returns_by_year,
        load_transactions,
        load_transactions_csv,
        load_activities,
        load_closed_positions,
        load_income,
    ):
        loader.clear()


# --- market data ------------------------------------------------------------------------------


@st.cache_data(ttl=600, show_spinner=False)
def load_tickers(database_url: str) -> list[Any]:
    return list(call(list_tickers, write=False))


@st.cache_data(ttl=300, show_spinner=False)
def load_prices(database_url: str, ticker: str, start: dt.date | None = None) -> pd.DataFrame:
    return call(get_price_history, write=False, ticker=ticker, start=start)


@st.cache_data(ttl=300, show_spinner=False)
def load_ticker_statistics(database_url: str, ticker: str) -> Any:
    return call(get_ticker_statistics, write=False, ticker=ticker)


# --- forecasting ------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def load_model_catalog() -> list[dict[str, Any]]:
    """The forecasters installed (name, min_history, interval method, default params)."""
    return describe_models()


@st.cache_data(ttl=300, show_spinner=False)
def load_realised_accuracy(database_url: str, ticker: str | None = None, model: str | None = None) -> pd.DataFrame:
    return call(realised_accuracy, write=False, ticker=ticker, model=model)


@st.cache_data(ttl=300, show_spinner=False)
def load_realised_by_month(
    database_url: str, user_id: int, ticker: str | None, replayed: bool | None, window_months: int
) -> pd.DataFrame:
    """Realised accuracy by month of what `user_id` may see (their forecasts and the replay's)."""
    return call_as(
        user_id,
        realised_by_month,
        write=False,
        user_arg="visible_to",
        ticker=ticker,
        replayed=replayed,
        window_months=window_months,
    )


@st.cache_data(ttl=600, show_spinner=False)
def load_experiment_url(name: str) -> str:
    """The configured MLflow UI's page of experiment `name` (ServiceUnavailableError when down)."""
    return experiment_url(get_settings(), name)


@st.cache_data(ttl=120, show_spinner=False)
def load_backtest_summary(database_url: str, ticker: str) -> list[Any]:
    """The newest tracked backtest of each model on `ticker` (BacktestSkill records)."""
    return list(latest_backtest_summary(ticker, settings=get_settings()))


def forecast_ticker(
    user_id: int | None,
    *,
    ticker: str,
    horizon: int,
    model: str,
    record: bool = True,
    progress: Callable[..., None] | None = None,
    **options: Any,
) -> Any:
    """A forecast through the serving layer (champion when it fits, else trained now)."""
    kwargs = {
        "settings": get_settings(),
        "ticker": ticker,
        "horizon": horizon,
        "model": model,
        "record": record,
        "progress": progress,
        **options,
    }
    if user_id is None:
        return call(forecast, **kwargs)
    return call_as(user_id, forecast, user_arg="user", **kwargs)


def measure_forecast_skill(
    *, ticker: str, model: str, horizon: int, progress: Callable[..., None] | None = None, **options: Any
) -> Any:
    """The skill backtest of exactly this forecast request (cached in the database once run)."""
    return call(
        forecast_skill,
        settings=get_settings(),
        ticker=ticker,
        model=model,
        horizon=horizon,
        progress=progress,
        **options,
    )


@st.cache_data(ttl=3600, show_spinner="Preparing the forecast…")
def load_latest_forecast(database_url: str, ticker: str, model: str, horizon: int) -> Any:
    """The Stock page's forecast, recorded (once per champion and origin) to be scored later."""
    return forecast_ticker(None, ticker=ticker, horizon=horizon, model=model, record=True)


def backtest_ticker(
    ticker: str,
    *,
    models: list[str],
    horizon: int,
    folds: int,
    window: str = "expanding",
    train_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """A rolling-origin backtest of catalog models on the ticker's stored closes."""

    closes = backtest_closes(ticker)
    config = BacktestConfig(horizon=horizon, folds=folds, step=spread_step(folds), window=window, train_size=train_size)
    return backtest_models({ticker: closes}, models, config, progress=progress)


def backtest_closes(ticker: str) -> pd.Series:
    return call(get_price_history, ticker=ticker)["close"]


def track_backtest(ticker: str, closes: pd.Series, result: Any) -> dict[str, str]:
    """Log each model's backtest as an MLflow run; returns model → link to the run's page."""
    links = log_backtests(get_settings(), ticker=ticker, series=closes, result=result, tags={"source": "dashboard"})
    load_backtest_summary.clear()
    return links


def project_holdings(user_id: int, *, horizon: int, confidence: float, model: str = "drift") -> Any:
    """The portfolio's value distribution `horizon` sessions ahead, with VaR and ES."""

    return call_as(user_id, project, settings=get_settings(), horizon=horizon, confidence=confidence, model=model)


# --- jobs -------------------------------------------------------------------------------------


@st.cache_data(ttl=5, show_spinner=False)
def load_job_runs(database_url: str, limit: int = 50) -> pd.DataFrame:
    rows, _total = call(list_job_runs, write=False, limit=limit)
    columns = ["id", "job", "status", "started_at", "duration_seconds", "triggered_by", "summary", "error"]
    reads = [JobRunRead.model_validate(row) for row in rows]
    return pd.DataFrame([{c: _plain(getattr(row, c, None)) for c in columns} for row in reads], columns=columns)


def load_job_run(run_id: int) -> Any:
    """One run as it stands now (not cached: the Admin page polls it while it runs)."""
    return call(get_job_run, run_id=run_id)


@st.cache_data(ttl=600, show_spinner=False)
def load_job_catalog(database_url: str) -> list[Any]:
    return list_jobs(get_settings())


def start_job(admin_id: int, name: str, args: dict[str, Any] | None = None) -> Any:
    """Ask for a job run now (admins only; checked by core), without waiting for it."""

    with session_scope(get_settings()) as session:
        admin = get_user(session, user_id=admin_id)
    dispatch = request_job_run(settings=get_settings(), actor=admin, name=name, args=args)
    load_job_runs.clear()
    return dispatch


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


# --- watchlist and alerts ---------------------------------------------------------------------


@st.cache_data(ttl=60, show_spinner=False)
def load_watchlist(database_url: str, user_id: int, sparkline_days: int = 30) -> list[Any]:
    return call_as(user_id, list_watchlist, write=False, sparkline_days=sparkline_days)


@st.cache_data(ttl=60, show_spinner=False)
def load_alerts(database_url: str, user_id: int, triggered: bool | None = None) -> list[Any]:
    return [
        PriceAlertRead.model_validate(row) for row in call_as(user_id, list_alerts, write=False, triggered=triggered)
    ]


def forget_watchlist_reads() -> None:
    for loader in (load_watchlist, load_alerts):
        loader.clear()
