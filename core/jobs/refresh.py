"""The price refresh as a use case: fetch new prices, then what new prices make due.

`core.market` only stores prices; the areas built on them react here, one level up, so market
imports neither the portfolio nor forecasting: price alerts are evaluated on the refreshed
tickers (`core.portfolio.alerts`) and matured predictions get their realised values
(`core.forecasting.accuracy`). The `refresh_prices` job and `python -m core prices refresh`
both run this (`refresh_prices_in_units` for the job's short units of work).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import OneSession, ShortUnits
from core.forecasting.accuracy import update_realised
from core.market import service as market
from core.market.providers import PriceProvider
from core.market.schemas import RefreshReport, TickerRefresh
from core.portfolio.alerts import evaluate_alerts


def refresh_prices(
    session: Session,
    *,
    settings: Settings,
    tickers: list[str] | None = None,
    progress: market.Progress | None = None,
    provider: PriceProvider | None = None,
) -> RefreshReport:
    """`refresh_prices_in_units` inside the caller's unit of work (each step a savepoint);
    never commits."""
    on_ticker = None if progress is None else (lambda _item: progress(1))
    return refresh_prices_in_units(
        OneSession(session), settings=settings, tickers=tickers, on_ticker=on_ticker, provider=provider
    )


def refresh_prices_in_units(
    units: ShortUnits,
    *,
    settings: Settings,
    tickers: list[str] | None = None,
    on_ticker: Callable[[TickerRefresh], object] | None = None,
    provider: PriceProvider | None = None,
) -> RefreshReport:
    """`core.market.service.refresh_prices_in_units` (each ticker in its own short unit of
    work), then alerts fired and predictions scored, each in a short unit of its own."""
    report = market.refresh_prices_in_units(
        units, settings=settings, tickers=tickers, on_ticker=on_ticker, provider=provider
    )
    refreshed = [item.ticker for item in report.tickers]
    report.alerts_triggered = units.write(lambda session: len(evaluate_alerts(session, tickers=refreshed)))
    report.predictions_realised = units.write(lambda session: int(update_realised(session) or 0))
    return report
