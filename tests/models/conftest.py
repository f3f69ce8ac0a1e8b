"""A small real price series (AAPL, 300 sessions to 2016-12-30) for forecaster tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

PRICES = Path(__file__).parents[1] / "forecasting" / "data" / "prices_small.csv"


def read_closes(ticker: str) -> pd.Series:
    frame = pd.read_csv(PRICES, parse_dates=["date"])
    return frame[frame["ticker"] == ticker].set_index("date")["close"]


@pytest.fixture(scope="session")
def closes() -> pd.Series:
    return read_closes("AAPL")
