"""Portfolio reads (holdings, valuation, performance, ledger, closed positions, income, the
watchlist and alerts, the value projection) and writes (activities, imports), each followed by the matching
`forget_*_reads()` so the next render shows the change.

Reads are `st.cache_data(ttl=…)` functions whose first argument is the database URL (so
two databases never share entries) and which return picklable values (pydantic models,
frames), never ORM objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.config import get_settings
from core.db.tables import Transaction
from core.forecasting.projection import PortfolioProjection
from core.portfolio.activities import list_activities, record_activity, update_activity
from core.portfolio.alerts import list_alerts, list_watchlist
from core.portfolio.analytics import measure_performance, returns_by_year, summarize_portfolio
from core.portfolio.analytics_cache import analytics_cache
from core.portfolio.analytics_schemas import (
    ClosedPosition,
    IncomeReport,
    PerformanceReport,
    PortfolioSummary,
    YearlyReturns,
)
from core.portfolio.closed import list_closed_positions
from core.portfolio.holdings import list_holdings
from core.portfolio.income import income_by_period
from core.portfolio.ledger import export_transactions, import_transactions, list_transactions, read_transactions_file
from core.portfolio.pricing import close_on, live_provider
from core.portfolio.projection import project_holdings as project
from core.portfolio.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    ImportResult,
    PriceAlertRead,
    StockRead,
    WatchlistItemRead,
)
from ui.loaders.base import call, call_as


@st.cache_data(ttl=60, show_spinner=False)
def load_holdings(database_url: str, user_id: int) -> list[StockRead]:
    rows, _total = call_as(user_id, list_holdings, write=False, limit=1000)
    return [StockRead.model_validate(row) for row in rows]


@st.cache_data(ttl=60, show_spinner=False)
def load_portfolio_summary(database_url: str, user_id: int) -> PortfolioSummary:
    return call_as(user_id, summarize_portfolio, write=False, cache=analytics_cache(get_settings()))


@st.cache_data(ttl=300, show_spinner=False)
def load_performance(
    database_url: str,
    user_id: int,
    benchmark: str | None,
    start: dt.date | None,
    period: str | None = None,
    end: dt.date | None = None,
) -> PerformanceReport:
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
def load_returns_by_year(database_url: str, user_id: int, benchmark: str | None) -> YearlyReturns:
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
def load_activities(database_url: str, user_id: int) -> list[ActivityRead]:
    """The ledger's activities, newest first (TransactionRead models)."""

    return [ActivityRead.model_validate(row) for row in reversed(call_as(user_id, list_activities, write=False))]


@st.cache_data(ttl=60, show_spinner=False)
def load_closed_positions(database_url: str, user_id: int) -> list[ClosedPosition]:
    return call_as(user_id, list_closed_positions, write=False)


@st.cache_data(ttl=60, show_spinner=False)
def load_income(database_url: str, user_id: int, freq: str) -> IncomeReport:
    return call_as(user_id, income_by_period, write=False, freq=freq)


@st.cache_data(ttl=300, show_spinner=False)
def load_close_on(database_url: str, ticker: str, day: dt.date) -> float | None:
    """The close valuation uses for `ticker` on `day` (on or before it)."""

    return call(close_on, write=False, ticker=ticker, day=day)


def record_activity_as(user_id: int, data: ActivityCreate) -> Transaction:
    """Record an activity (fetching an unknown ticker first with a live DATA_PROVIDER)."""

    return call_as(user_id, record_activity, data=data, provider=live_provider(get_settings()))


def import_transactions_as(user_id: int, content: bytes, progress: Callable[..., None] | None = None) -> ImportResult:
    """Import a transactions CSV, all or nothing (fetching unknown tickers with a live provider);
    `progress` hears the import's steps (core.portfolio.ledger.import_transactions)."""

    parsed = read_transactions_file(content)  # before the unit of work: parsing holds no write lock
    provider = live_provider(get_settings())
    return call_as(user_id, import_transactions, parsed=parsed, provider=provider, progress=progress)


def update_activity_as(user_id: int, activity_id: int, data: ActivityUpdate) -> Transaction:
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


@st.cache_data(ttl=60, show_spinner=False)
def load_watchlist(database_url: str, user_id: int, sparkline_days: int = 30) -> list[WatchlistItemRead]:
    return call_as(user_id, list_watchlist, write=False, sparkline_days=sparkline_days)


@st.cache_data(ttl=60, show_spinner=False)
def load_alerts(database_url: str, user_id: int, triggered: bool | None = None) -> list[PriceAlertRead]:
    return [
        PriceAlertRead.model_validate(row) for row in call_as(user_id, list_alerts, write=False, triggered=triggered)
    ]


def forget_watchlist_reads() -> None:
    for loader in (load_watchlist, load_alerts):
        loader.clear()


def project_holdings(
    user_id: int,
    *,
    horizon: int,
    confidence: float,
    model: str = "drift",
    progress: Callable[..., None] | None = None,
) -> PortfolioProjection:
    """The portfolio's value distribution `horizon` sessions ahead, with VaR and ES; `progress`
    hears one step per holding forecast."""

    return call_as(
        user_id,
        project,
        write=False,
        settings=get_settings(),
        horizon=horizon,
        confidence=confidence,
        model=model,
        progress=progress,
    )
