"""Key statistics of one ticker's stored prices (the Stock page's figures).

`describe_prices` is a pure function of an OHLCV frame; `get_ticker_statistics` reads the
stored prices first. Windows count back from the last stored price, not from today, so the
bundled (historical) prices give meaningful figures too.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.market.annualisation import annualised_volatility
from core.market.service import get_price_history


class PriceStatistics(BaseModel):
    """Fractions (0.012 = 1.2%); None where the history is too short for the figure."""

    ticker: str
    last_date: dt.date
    last_close: float
    day_change: float | None
    day_change_pct: float | None
    high_52w: float
    low_52w: float
    return_1y: float | None
    volatility: float | None  # annualised volatility of the last year's daily returns (core.market.annualisation)
    avg_volume: float | None  # mean daily volume over the last 3 months


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def describe_prices(ticker: str, prices: pd.DataFrame) -> PriceStatistics:
    """Statistics of `prices` (DatetimeIndex ascending; columns high, low, close, volume)."""
    close = prices["close"].astype(float)
    last_date = prices.index[-1]
    year = prices[prices.index > last_date - pd.Timedelta(days=365)]
    quarter = prices[prices.index > last_date - pd.Timedelta(days=91)]
    previous = close.iloc[-2] if len(close) > 1 else np.nan
    daily_returns = year["close"].astype(float).pct_change().dropna()
    year_ago = close[close.index <= last_date - pd.Timedelta(days=365)]
    return PriceStatistics(
        ticker=ticker,
        last_date=last_date.date(),
        last_close=float(close.iloc[-1]),
        day_change=_finite(close.iloc[-1] - previous),
        day_change_pct=_finite(close.iloc[-1] / previous - 1) if previous else None,
        high_52w=float(year["high"].max()),
        low_52w=float(year["low"].min()),
        return_1y=_finite(close.iloc[-1] / year_ago.iloc[-1] - 1) if len(year_ago) else None,
        volatility=annualised_volatility(daily_returns),
        avg_volume=_finite(quarter["volume"].astype(float).mean()) if len(quarter) else None,
    )


def get_ticker_statistics(session: Session, *, ticker: str) -> PriceStatistics:
    """Statistics of the stored prices; NotFoundError naming the ticker when there are none."""

    prices = get_price_history(session, ticker=ticker)
    return describe_prices(ticker, prices)
