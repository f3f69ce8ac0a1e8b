"""Precomputing the champions' forecasts and skills for the tickers people look at.

After the retrain job has registered champions, `warm_champions` serves the champion
configuration's forecast of every held or watched ticker (recorded as the shared forecast,
once per champion and origin, as the Stock page records it) and measures the skill of
exactly that configuration when it is not stored yet, so the pages and the API answer both
at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import ShortUnits
from core.db.tables import Price, Transaction, WatchlistItem
from core.forecasting.champion import champion_config
from core.forecasting.delivery import (
    compute_served,
    measure_served_skill,
    read_inputs,
    served_request,
    store_measured_skill,
)
from core.forecasting.serving import record_forecast
from core.tracking.store import import_store_library

logger = logging.getLogger(__name__)


def looked_at_tickers(session: Session) -> list[str]:
    """Tickers someone holds (or has traded) or watches, that have stored prices."""
    stored = select(Price.ticker).distinct()
    traded = select(Transaction.ticker).where(Transaction.ticker.in_(stored))
    watched = select(WatchlistItem.ticker).where(WatchlistItem.ticker.in_(stored))
    return sorted(set(session.scalars(traded)) | set(session.scalars(watched)))


def warm_champions(
    units: ShortUnits, *, settings: Settings, tickers: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Per held or watched ticker (among `tickers` when given): the champion forecast's source
    and whether its skill was "stored" already or "measured" now; a ticker's failure is its
    entry's `error` and does not stop the others. Each ticker reads, computes outside any
    transaction and records in short units, so writers are never locked out meanwhile."""
    champion = champion_config(settings)
    wanted = {t.strip().upper() for t in tickers} if tickers is not None else None
    with units.read() as session:
        looked_at = looked_at_tickers(session)
    outcome: dict[str, dict[str, Any]] = {}
    for ticker in looked_at:
        if wanted is not None and ticker not in wanted:
            continue
        try:
            outcome[ticker] = _warm(units, settings, ticker, champion)
        except Exception as exc:  # one ticker's failure must not stop the others
            logger.warning("champion not precomputed", extra={"ticker": ticker, "error": str(exc)})
            outcome[ticker] = {"error": f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"}
    return outcome


def _warm(units: ShortUnits, settings: Settings, ticker: str, champion) -> dict[str, Any]:
    request = served_request(settings, ticker=ticker, model=champion.model, horizon=champion.horizon)
    with units.read() as session:
        inputs = read_inputs(session, settings=settings, request=request)
    result = compute_served(settings, request, inputs)
    units.write(lambda session: record_forecast(session, result))
    if inputs.skill is not None:
        return {"forecast": result.source, "version": result.model_version, "skill": "stored"}
    skill, record = measure_served_skill(settings, request, inputs.closes)
    units.write(lambda session: store_measured_skill(session, skill=skill, record=record))
    return {"forecast": result.source, "version": result.model_version, "skill": "measured"}


def import_model_libraries() -> None:
    """Import, now, what the champion's first forecast would import on its way: the model
    libraries (the ensemble's members: Prophet, statsforecast, torch) and MLflow's stores.

    A serving process calls it before it serves. Imported mid-request, an extension module
    holds the GIL in C while it loads (about 4 s in all here), and the event loop stops
    answering meanwhile (a /health probe waited 0.9 s behind a first projection)."""
    import torch  # noqa: F401
    from prophet import Prophet  # noqa: F401
    from statsforecast.models import AutoARIMA  # noqa: F401

    import_store_library()
