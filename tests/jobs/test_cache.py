"""The cache returns what was stored, computes once, and forgets a ticker on invalidation —
in-process and through Redis (shared by two cache objects, as by two processes)."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from core.config import Settings
from core.jobs.cache import get_cache, invalidate_tickers


def history() -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.bdate_range("2016-12-01", periods=5), name="date")
    return pd.DataFrame({"close": [1.5, 2.0, 2.5, 3.0, 3.5], "volume": [1, 2, 3, 4, 5]}, index=index)


@pytest.fixture(params=["memory", "redis"])
def cache_settings(request, tmp_path) -> Settings:
    # A database of its own: cache keys are scoped by database, so tests never share entries.
    settings = Settings(database_url=f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}", cache_ttl_seconds=60)
    if request.param == "redis":
        settings.redis_url = request.getfixturevalue("redis_url")
    return settings


def test_frames_round_trip_and_compute_once(cache_settings):
    calls = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        return history()

    cache = get_cache(cache_settings)
    first = cache.remember_frame("prices", "AAPL", {"start": None}, compute)
    second = get_cache(cache_settings).remember_frame("prices", "AAPL", {"start": None}, compute)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(second, history(), check_freq=False)
    pd.testing.assert_frame_equal(first, second, check_freq=False)
    assert cache.get_frame("prices", "AAPL", {"start": "2016-12-02"}) is None  # other parameters


def test_invalidation_drops_only_that_ticker(cache_settings):
    cache = get_cache(cache_settings)
    cache.set_value("forecast", "AAPL", {"h": 5}, {"mean": [1.0]})
    cache.set_value("forecast", "MSFT", {"h": 5}, {"mean": [2.0]})
    invalidate_tickers(cache_settings, ["AAPL"])
    assert cache.get_value("forecast", "AAPL", {"h": 5}) is None
    assert cache.get_value("forecast", "MSFT", {"h": 5}) == {"mean": [2.0]}
