"""Facts the chat reads from other areas' services, so that its figures are the pages' figures.

A ticker's facts are the Stock page's key statistics (`core.market.statistics`); the numbers
are written with `core.formatting`, as on every page.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import NotFoundError
from core.formatting import money, plain_percent, signed_percent
from core.market.statistics import PriceStatistics, get_ticker_statistics


def load_ticker_facts(session: Session, ticker: str) -> PriceStatistics | None:
    """The Stock page's key statistics of `ticker`; None when it has no stored prices."""
    try:
        return get_ticker_statistics(session, ticker=ticker)
    except NotFoundError:
        return None


def describe_ticker(stats: PriceStatistics) -> str:
    """The Stock page's key statistics in one sentence."""
    day = f" ({signed_percent(stats.day_change_pct)} on the day)" if stats.day_change_pct is not None else ""
    return (
        f"{stats.ticker} closed at {money(stats.last_close)} on {stats.last_date}{day}; 52-week range "
        f"{money(stats.low_52w)} – {money(stats.high_52w)}, 1-year return {plain_percent(stats.return_1y)}, "
        f"annualised volatility {plain_percent(stats.volatility)}."
    )
