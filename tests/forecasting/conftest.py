"""Small real prices (AAPL and JPM, 300 sessions each to 2016-12-30) for forecasting tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

PRICES_CSV = Path(__file__).parent / "data" / "prices_small.csv"


@pytest.fixture(scope="session")
def prices_csv() -> Path:
    return PRICES_CSV


@pytest.fixture(scope="session")
def histories() -> dict[str, pd.Series]:
    frame = pd.read_csv(PRICES_CSV, parse_dates=["date"])
    return {t: g.set_index("date")["close"] for t, g in frame.groupby("ticker")}
