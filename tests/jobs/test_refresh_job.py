"""The refresh job stores only missing prices (running it twice adds nothing), records its
report, and drops the cached entries of the tickers it updated."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.db.migrate import upgrade_to_head
from core.db.tables import JobStatus
from core.jobs.cache import get_cache
from core.jobs.runner import run_job


@pytest.fixture
def fresh_settings(tmp_path) -> Settings:
    database_url = f"sqlite:///{tmp_path / 'refresh.db'}"
    upgrade_to_head(database_url)
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        data_provider="bundled",
        offline=True,
        migrate_on_start=False,
    )


def test_refresh_is_incremental_and_invalidates_the_cache(fresh_settings):
    cache = get_cache(fresh_settings)
    cache.set_value("prices", "AAPL", {}, {"stale": True})
    cache.set_value("prices", "MSFT", {}, {"other": True})

    first = run_job("refresh_prices", settings=fresh_settings, args={"tickers": "AAPL"})
    assert first.status == JobStatus.SUCCEEDED, first.error
    assert first.result["rows_added"] > 900 and first.result["updated"] == ["AAPL"]
    rows = f"{first.result['rows_added']:,}"
    assert first.summary.startswith(f"{rows} price rows added for 1 ticker;")
    assert first.duration_seconds == (first.finished_at - first.started_at).total_seconds() >= 0
    assert cache.get_value("prices", "AAPL", {}) is None  # refreshed: dropped
    assert cache.get_value("prices", "MSFT", {}) == {"other": True}  # untouched

    cache.set_value("prices", "AAPL", {}, {"fresh": True})
    again = run_job("refresh_prices", settings=fresh_settings, args={"tickers": "AAPL"})
    assert again.status == JobStatus.SUCCEEDED
    assert again.result["rows_added"] == 0 and again.result["updated"] == []
    assert again.summary.startswith("0 price rows added for 0 tickers;")
    assert cache.get_value("prices", "AAPL", {}) == {"fresh": True}  # nothing new: kept
