"""A replay run, as `python -m core replay` and the `replay` job do it: replay the tickers
(`core.forecasting.replay`), score the replayed forecasts against the stored closes, and log
their realised accuracy by month to MLflow's `monitoring` experiment
(`core.tracking.monitoring.log_monthly_accuracy`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import ShortUnits
from core.db.tables import Price, Transaction
from core.errors import ServiceUnavailableError
from core.forecasting.accuracy import realised_by_month, realised_predictions, score_realised, update_realised
from core.forecasting.replay import ReplayConfig, ReplayReport, TickerReplay, replay_tickers
from core.tracking.monitoring import log_monthly_accuracy
from core.tracking.store import MONITORING, experiment_id

logger = logging.getLogger(__name__)


def default_replay_tickers(session: Session) -> list[str]:
    """Tickers someone holds or has traded that have stored prices; every stored one if none."""

    stored = set(session.scalars(select(Price.ticker).distinct()))
    held = set(session.scalars(select(Transaction.ticker).distinct())) & stored
    return sorted(held or stored)


def replay_ticker_list(session: Session, text: str | Sequence[str] | None) -> list[str]:
    """Tickers from a CLI/job argument: comma-separated, `all` (every stored ticker), or none
    (`default_replay_tickers`)."""

    items = text.split(",") if isinstance(text, str) else list(text or [])
    names = [item.strip().upper() for item in items if item and item.strip()]
    if names == ["ALL"]:
        return sorted(session.scalars(select(Price.ticker).distinct()))
    return names or default_replay_tickers(session)


def replay_and_log(
    units: ShortUnits,
    *,
    settings: Settings,
    tickers: Sequence[str] | None = None,
    config: ReplayConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    on_ticker: Callable[[TickerReplay], object] | None = None,
) -> dict[str, Any]:
    """Replay `tickers` (default: `default_replay_tickers`), score the replayed forecasts and
    log their realised accuracy by month to MLflow's `monitoring` experiment; a summary dict.

    Fits run outside transactions, each ticker is stored in its own short unit of work (the
    `replay` job and the CLI pass `ShortUnits`; `OneSession` runs it inside a caller's unit),
    and MLflow is logged after the last commit. MLflow being down does not undo the replay:
    its message is returned as `monitoring_error`."""

    config = config or ReplayConfig()
    if not tickers:
        with units.read() as session:
            tickers = default_replay_tickers(session)
    store_error = _open_monitoring(settings)
    report = replay_tickers(units, tickers=list(tickers), config=config, progress=progress, on_ticker=on_ticker)
    scored = units.write(update_realised)
    with units.read() as session:
        by_month = realised_by_month(session, replayed=True, versions=config.versions)
        matured = realised_predictions(session, replayed=True, versions=config.versions)
        replayed = [item.ticker for item in report.tickers]
        data_end = session.scalar(select(func.max(Price.date)).where(Price.ticker.in_(replayed)))
    result = _replay_result(config, report, scored, by_month)
    if by_month.empty:
        return result
    if store_error:
        result["monitoring"] = {"monitoring_error": store_error}
        return result
    overall = pd.DataFrame([{"model": name, **score_realised(group)} for name, group in matured.groupby("model")])
    result["monitoring"] = _log_to_mlflow(settings, config, replayed, data_end, by_month, overall)
    return result


def _replay_result(config: ReplayConfig, report: ReplayReport, scored: int, by_month: pd.DataFrame) -> dict[str, Any]:
    return {
        "version": config.version,
        "tickers": {item.ticker: item.replayed for item in report.tickers},
        "rows_added": report.rows,
        "predictions_scored": scored,
        "months": int(by_month["month"].nunique()) if not by_month.empty else 0,
        "errors": report.errors,
    }


def _open_monitoring(settings: Settings) -> str | None:
    """Open MLflow's store and the monitoring experiment; the failure's message, if any."""

    try:
        experiment_id(settings, MONITORING)
    except ServiceUnavailableError as exc:
        logger.warning("replay accuracy will not be logged to MLflow: %s", exc.message)
        return exc.message
    return None


def _log_to_mlflow(settings, config, replayed, data_end, by_month, overall) -> dict[str, Any]:
    params = {
        "model": config.model,
        "members": ",".join(config.member_names),
        "months": config.months,
        "refit_months": config.refit_months,
        "version": config.version,
        "tickers": ",".join(replayed),
    }
    try:
        logged = log_monthly_accuracy(
            settings,
            by_month,
            model=config.model,
            horizon=config.horizon,
            data_end=str(data_end),
            params=params,
            overall=overall,
        )
    except ServiceUnavailableError as exc:
        logger.warning("replay accuracy not logged to MLflow: %s", exc.message)
        return {"monitoring_error": exc.message}
    return {"run_id": logged.run_id, "run_url": logged.run_url, "created": logged.created}
