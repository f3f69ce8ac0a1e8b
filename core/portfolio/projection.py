"""The portfolio's value distribution at a horizon, from each holding's served forecast.

Each holding is forecast (not recorded: a projection is not a prediction someone acted on)
through the serving layer, then `core.forecasting.projection.project_portfolio` simulates
the joint outcome from the holdings' shared history.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.tables import User
from core.db.work_processes import cpu_heavy
from core.errors import InvalidInputError
from core.forecasting.projection import PortfolioProjection, project_portfolio
from core.forecasting.serving import forecast, load_closes
from core.portfolio.holdings import list_holdings

MAX_PROJECTED_HOLDINGS = 200


class ProjectionRead(BaseModel):
    horizon: int
    current_value: float
    quantiles: dict[str, float]
    value_at_risk: float
    expected_shortfall: float
    confidence: float
    paths: int
    model: str


def project_holdings(
    session: Session,
    *,
    settings: Settings,
    owner: User,
    horizon: int,
    confidence: float = 0.95,
    model: str = "drift",
    progress: Callable[..., None] | None = None,
) -> PortfolioProjection:
    """Simulate the owner's portfolio value `horizon` trading days ahead (quantiles, VaR, ES).

    `progress(done, total, message)` hears 0 of n holdings before the first forecast, then
    one step per holding forecast (every face follows the same steps)."""
    report = progress or (lambda *_args: None)
    holdings, _total = list_holdings(session, owner=owner, limit=MAX_PROJECTED_HOLDINGS)
    shares = {holding.ticker: holding.quantity for holding in holdings if holding.quantity}
    if not shares:
        raise InvalidInputError("the portfolio has no holdings to project; add or import some first")
    histories, forecasts = {}, {}
    report(0, len(shares), f"Forecasting {len(shares)} holdings")
    for done, ticker in enumerate(shares, start=1):
        _prices, histories[ticker] = load_closes(session, ticker)
        served = forecast(session, settings=settings, ticker=ticker, horizon=horizon, model=model, record=False)
        forecasts[ticker] = served.frame
        report(done, len(shares), f"Forecast {ticker} ({done} of {len(shares)})")
    return project_portfolio(histories, forecasts, shares, confidence=confidence)


def projection_read(projection: PortfolioProjection, *, model: str) -> ProjectionRead:
    return ProjectionRead(**projection.as_dict(), model=model)


@cpu_heavy  # forecasts and simulates up to 200 holdings: off a serving process's GIL
def projection_report(
    session: Session,
    *,
    settings: Settings,
    owner: User,
    horizon: int,
    confidence: float = 0.95,
    model: str = "drift",
    progress: Callable[..., None] | None = None,
) -> ProjectionRead:
    """`project_holdings` as the API, MCP and a task answer it."""
    projection = project_holdings(
        session, settings=settings, owner=owner, horizon=horizon, confidence=confidence, model=model, progress=progress
    )
    return projection_read(projection, model=model)
