"""A synthetic daily price series (a geometric random walk on business days) for replay tests:
long enough for a year of weekly origins, cheap to forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.forecasting.replay import ReplayConfig

# The cheapest honest replay: an ensemble of the two baselines, refitted every two months.
CHEAP = ReplayConfig(members=("naive", "drift"), months=13, refit_months=2)


def synthetic_closes(sessions: int = 560, *, seed: int = 7, start: str = "2015-01-02") -> pd.Series:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=sessions)
    closes = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, sessions)))
    return pd.Series(closes, index=dates, name="close")


def synthetic_prices(ticker: str, closes: pd.Series) -> pd.DataFrame:
    """The rows `tests.tracking.fixtures.store_prices` stores, from a series of closes."""
    return pd.DataFrame(
        {
            "date": closes.index,
            "ticker": ticker,
            "open": closes.to_numpy(),
            "high": closes.to_numpy() * 1.01,
            "low": closes.to_numpy() * 0.99,
            "close": closes.to_numpy(),
            "volume": 1_000_000.0,
        }
    )
