"""The price refresh as a use case: fetch new prices, then what new prices make due.

`core.market` only stores prices; the areas built on them react here, one level up, so market
imports neither the portfolio nor forecasting: price alerts are evaluated on the refreshed
tickers (`core.portfolio.alerts`) and matured predictions get their realised values
(`core.forecasting.accuracy`). The `refresh_prices` job and `python -m core prices refresh`
both run this.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.config import Settings
from core.forecasting.accuracy import update_realised
from core.market import service as market
from core.market.providers import PriceProvider
from core.market.schemas import RefreshReport
from core.portfolio.alerts import evaluate_alerts


def refresh_prices(
    session: Session,
    *,
    settings: Settings,
    tickers: list[str] | None = None,
    progress: market.Progress | None = None,
    provider: PriceProvider | None = None,
) -> RefreshReport:
    """`core.market.service.refresh_prices`, then alerts fired and predictions scored (counted
    on the report). Never commits: the caller owns the unit of work."""
    report = market.refresh_prices(session, settings=settings, tickers=tickers, progress=progress, provider=provider)
    report.alerts_triggered = len(evaluate_alerts(session, tickers=[item.ticker for item in report.tickers]))
    report.predictions_realised = int(update_realised(session) or 0)
    return report
