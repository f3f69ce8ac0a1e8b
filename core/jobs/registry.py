"""The jobs Stockcast runs in the background, by name.

A short job is a function `job(session, *, settings, **args) -> dict` (its result, stored on
the `JobRun`), run inside one unit of work by `core.jobs.runner.run_job`. A long one
(`chunked=True`: refresh, retrain, replay) is `job(work, *, settings, **args)`: it gets a
`core.jobs.work.JobWork`, computes outside transactions, commits per ticker and records each
ticker's progress; an interrupted run is resumed by the next one (see `core.jobs.work`).
Every job is idempotent: running it twice changes nothing more than running it once.

- `refresh_prices`     fetch prices missing since the last stored date (incremental), then
                       drop the cached histories and forecasts of the refreshed tickers.
- `retrain`            per ticker and model (`models`, default `RETRAIN_MODELS`): backtest,
                       register, champion/challenger (`core.forecasting.training`). A ticker
                       already trained on its newest price is skipped unless `force=true`. One
                       failed ticker doesn't stop the rest (its error is listed in `errors`).
                       `workers`: backtest processes (1 inside Celery workers). When the
                       champion's model was retrained, the champion configuration's
                       forecast and skill of every held or watched ticker among them are
                       precomputed (`core.forecasting.warming`).
- `evaluate_realised`  fill realised values of matured predictions; log realised accuracy.
- `replay`             walk forward over the stored history as if live (`tickers`: default
                       the held ones, or `all`; `months`, `refit_months`, `horizon`, and
                       `members`, default the champion's), score the replayed forecasts, log
                       their accuracy by month to MLflow.
                       Origins already replayed are skipped.
- `reindex_chat`       rebuild every user's chat index.

The services they call belong to other areas and are imported inside each job, so importing
the registry stays cheap and works while an area is missing.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.chat.service import reindex_all
from core.config import Settings
from core.db.session import ShortUnits
from core.db.tables import JobRun, JobStatus, Price
from core.errors import InvalidInputError, NotFoundError, ServiceUnavailableError
from core.forecasting.accuracy import realised_by_date, update_realised
from core.forecasting.champion import champion_config
from core.forecasting.replay import ReplayConfig
from core.forecasting.replay_monitoring import replay_and_log, replay_ticker_list
from core.forecasting.serving import load_closes
from core.forecasting.training import train_model
from core.forecasting.warming import warm_champions
from core.jobs.cache import invalidate_tickers
from core.jobs.refresh import refresh_prices_in_units
from core.jobs.work import JobWork
from core.redaction import redact_text
from core.tracking.monitoring import log_realised_accuracy

logger = logging.getLogger(__name__)

# Errors worth retrying later: a dependency (database, MLflow, provider, Redis) is down.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ServiceUnavailableError,
    OperationalError,
    ConnectionError,
    TimeoutError,
)
RETRAIN_HISTORY_SCAN = 200  # recent retrain runs consulted to tell whether a ticker is up to date

JobFunction = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunction
    description: str
    cron_setting: str  # the Settings field holding this job's cron expression
    after_commit: Callable[[Settings, dict[str, Any]], None] | None = None
    chunked: bool = False  # takes a JobWork (short units per ticker), not one session

    def parameters(self) -> list[str]:
        return [p for p in inspect.signature(self.func).parameters if p not in ("session", "work", "settings")]

    def check_args(self, args: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(args) - set(self.parameters()))
        if unknown:
            raise InvalidInputError(
                f"job {self.name!r} takes no argument {', '.join(unknown)}; it takes: "
                f"{', '.join(self.parameters()) or 'none'}"
            )
        return dict(args)

    def lock_name(self, args: dict[str, Any]) -> str:
        """One lock per job, and one per ticker for single-ticker runs (Celery fan-out)."""
        tickers = parse_tickers(args.get("tickers"))
        return f"{self.name}:{tickers[0]}" if tickers and len(tickers) == 1 else self.name


# --- argument parsing (CLI and API pass strings) ----------------------------------------------


def parse_tickers(value: str | list[str] | None) -> list[str] | None:
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip().upper() for item in items if item and item.strip()]


def parse_flag(value: str | bool | None) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    return value.strip().lower() in ("1", "true", "yes", "on")


def stored_tickers(session: Session) -> list[str]:
    return list(session.scalars(select(Price.ticker).distinct().order_by(Price.ticker)))


# --- refresh_prices --------------------------------------------------------------------------


def refresh_prices_job(work: JobWork, *, settings: Settings, tickers: str | list[str] | None = None) -> dict:
    def done(item) -> None:
        if not item.error:
            work.record(item.ticker, {"rows_added": item.rows_added, "last_date": str(item.last_date)})

    report = refresh_prices_in_units(work, settings=settings, tickers=parse_tickers(tickers), on_ticker=done)
    return {
        "tickers": work.items,
        "provider": report.provider,
        "rows_added": report.rows_added,
        "alerts_triggered": report.alerts_triggered,
        "predictions_realised": report.predictions_realised,
        "updated": sorted(item.ticker for item in report.tickers if item.rows_added),
        "errors": report.errors,
    }


def invalidate_after_refresh(settings: Settings, result: dict[str, Any]) -> None:
    invalidate_tickers(settings, result.get("updated") or [])


# --- retrain ---------------------------------------------------------------------------------


def retrain_job(
    work: JobWork,
    *,
    settings: Settings,
    tickers: str | list[str] | None = None,
    models: str | list[str] | None = None,
    force: str | bool = False,
    workers: str | int | None = None,
) -> dict:
    if not (selected := parse_tickers(tickers)):
        with work.read() as session:
            selected = stored_tickers(session)
    model_names = parse_models(models) or parse_models(settings.retrain_models)
    options = {"models": model_names, "force": parse_flag(force), "workers": int(workers) if workers else None}
    errors: dict[str, str] = {}
    for ticker in selected:
        if len(selected) == 1:  # a single ticker's errors belong to the run (Celery retries them)
            work.record(ticker, retrain_ticker(work, settings=settings, ticker=ticker, **options))
            continue
        try:
            work.record(ticker, retrain_ticker(work, settings=settings, ticker=ticker, **options))
        except Exception as exc:  # one ticker's failure must not stop the others
            logger.warning("retrain failed", extra={"ticker": ticker, "error": str(exc)})
            errors[ticker] = describe_error(exc)
    # The champions' forecasts and skills of held and watched tickers, so the pages are warm.
    precomputed = {}
    if champion_config(settings).model in model_names:
        precomputed = warm_champions(work, settings=settings, tickers=[t for t in selected if t not in errors])
    return {"tickers": work.items, "errors": errors, "precomputed": precomputed}


def parse_models(value: str | list[str] | None) -> list[str] | None:
    if not value:
        return None
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()] or None


def retrain_ticker(
    units: ShortUnits,
    *,
    settings: Settings,
    ticker: str,
    models: list[str],
    force: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Train, backtest and run champion/challenger for one ticker, unless already up to date.

    "Up to date" means a recorded retrain of the same models on prices ending at the same
    date: training again would only register an identical version. The prices are read in a
    short unit of work; the training holds no transaction.
    """

    with units.read() as session:
        data_end = session.scalar(select(func.max(Price.date)).where(Price.ticker == ticker))
        if data_end is None:
            raise NotFoundError(f"no prices stored for ticker {ticker!r}")
        if not force and was_trained_on(session, ticker=ticker, data_end=data_end.isoformat(), models=models):
            return {"status": "up_to_date", "data_end": data_end.isoformat(), "models": models}
        _prices, closes = load_closes(session, ticker)
    outcomes = train_champions(settings=settings, ticker=ticker, models=models, series=closes, workers=workers)
    return {"status": "trained", "data_end": data_end.isoformat(), "models": models, "outcomes": outcomes}


def was_trained_on(session: Session, *, ticker: str, data_end: str, models: list[str]) -> bool:
    runs = session.scalars(
        select(JobRun.result)
        .where(JobRun.job == "retrain", JobRun.status.in_([JobStatus.SUCCEEDED, JobStatus.FAILED]))
        .order_by(JobRun.started_at.desc())
        .limit(RETRAIN_HISTORY_SCAN)
    )
    for result in runs:
        entry = ((result or {}).get("tickers") or {}).get(ticker) or {}
        if entry.get("data_end") == data_end and entry.get("models") == models:
            return True
    return False


def train_champions(
    *, settings: Settings, ticker: str, models: list[str], series: Any, workers: int | None
) -> dict[str, dict[str, Any]]:
    """Per model: backtest the challenger, register it, promote it if it beats the champion."""

    outcomes = {}
    for model in models:
        outcome = train_model(settings, ticker=ticker, model=model, series=series, n_jobs=workers)
        outcomes[model] = {
            "version": outcome.version,
            "promoted": outcome.promoted,
            "decision": outcome.decision,
            "challenger_mase": outcome.challenger_mase,
            "champion_mase": outcome.champion_mase,
            "run_url": outcome.run_url,
        }
    return outcomes


# --- evaluate_realised and reindex_chat --------------------------------------------------------


def evaluate_realised_job(session: Session, *, settings: Settings) -> dict:
    """Fill matured predictions' realised values, and log realised accuracy by date to MLflow's
    monitoring run (only dates not logged yet), as `python -m core evaluate-realised` does."""

    result: dict[str, Any] = {"updated": update_realised(session), "dates_logged": 0}
    by_date = realised_by_date(session, replayed=False)
    if not by_date.empty:
        report = log_realised_accuracy(settings, by_date)
        result |= {
            "dates_logged": report.dates_logged,
            "metrics_logged": report.metrics_logged,
            "logged_through": report.logged_through,
        }
    return result


def replay_job(
    work: JobWork,
    *,
    settings: Settings,
    tickers: str | list[str] | None = None,
    months: str | int | None = None,
    refit_months: str | int | None = None,
    horizon: str | int | None = None,
    members: str | None = None,
) -> dict:
    defaults = ReplayConfig()
    config = ReplayConfig(
        members=tuple(m.strip() for m in (members or "").split(",") if m.strip()),
        months=int(months or defaults.months),
        refit_months=int(refit_months or defaults.refit_months),
        horizon=int(horizon or defaults.horizon),
    )
    with work.read() as session:
        selected = replay_ticker_list(session, tickers)

    def progress(ticker: str, done: int, total: int) -> None:
        if done == total:
            logger.info(
                "replay progress", extra={"ticker": ticker, "done": selected.index(ticker) + 1, "of": len(selected)}
            )

    result = replay_and_log(
        work,
        settings=settings,
        tickers=selected,
        config=config,
        progress=progress,
        on_ticker=lambda item: work.record(item.ticker, item.replayed),
    )
    return result


def reindex_chat_job(session: Session, *, settings: Settings) -> dict:
    return {"documents": reindex_all(session, settings=settings)}


# A filesystem path or file/sqlite URL of two or more segments (`/app/var/x.db`, `C:\\data\\x`,
# `sqlite:////app/mlruns/mlflow.db`): server layout, which a run's error never shows a user.
_SERVER_PATH = re.compile(r"(?:\b(?:file|sqlite)://+|\b[A-Za-z]:\\|(?<![\w.:/])/)(?:[\w.@+-]+[/\\])+[\w.@+-]*")


def describe_error(exc: BaseException) -> str:
    """What went wrong, for a run's record: type and message, secrets and server paths out."""
    message = getattr(exc, "message", None) or str(exc)
    text = _SERVER_PATH.sub("<server path>", redact_text(f"{type(exc).__name__}: {message}"))
    return text[:2000]


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "refresh_prices",
            refresh_prices_job,
            "Fetch new daily prices (incremental)",
            "refresh_cron",
            after_commit=invalidate_after_refresh,
            chunked=True,
        ),
        JobSpec(
            "retrain", retrain_job, "Retrain, backtest and pick champions per ticker", "retrain_cron", chunked=True
        ),
        JobSpec(
            "evaluate_realised", evaluate_realised_job, "Score matured predictions against prices", "evaluate_cron"
        ),
        JobSpec("reindex_chat", reindex_chat_job, "Rebuild the chat assistant's index", "reindex_cron"),
        JobSpec("replay", replay_job, "Replay past forecasts as if live and score them", "replay_cron", chunked=True),
    )
}


def get_job(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise NotFoundError(f"unknown job {name!r}; jobs: {', '.join(JOBS)}") from None
