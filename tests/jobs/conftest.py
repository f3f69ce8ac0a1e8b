"""Fixtures for the jobs tests: committed prices, test-only jobs, a Redis database of our own.

Jobs own their units of work (they commit through `session_scope`), so these tests write
committed rows; every fixture removes what it wrote. Names are unique per test so parallel
runs on one PostgreSQL database (or one Redis) never meet.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete

from core.config import Settings
from core.db.session import engine_for
from core.db.tables import JobLock, JobRun, Price
from core.jobs.registry import JOBS, JobSpec

# A Redis database number kept for these tests (0 is the app's default).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def redis_available(url: str = TEST_REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not redis_available():
        pytest.skip(f"Redis not reachable at {TEST_REDIS_URL}")
    return TEST_REDIS_URL


def unique_ticker(prefix: str = "T") -> str:
    return f"{prefix}{uuid.uuid4().hex[:7].upper()}"


def price_rows(ticker: str, days: int, seed: int = 0) -> list[dict]:
    """A random walk on business days ending 2016-12-30 (like the bundled data)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(end="2016-12-30", periods=days)
    closes = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, days)))
    return [
        {
            "ticker": ticker,
            "date": day.date(),
            "open": c,
            "high": c * 1.01,
            "low": c * 0.99,
            "close": c,
            "volume": 1e6,
            "source": "bundled",
        }
        for day, c in zip(dates, closes, strict=True)
    ]


def insert_prices(database_url: str, ticker: str, days: int, seed: int = 0) -> None:
    with engine_for(database_url).begin() as connection:
        connection.execute(Price.__table__.insert(), price_rows(ticker, days, seed))


def delete_prices(database_url: str, tickers: list[str]) -> None:
    with engine_for(database_url).begin() as connection:
        connection.execute(delete(Price).where(Price.ticker.in_(tickers)))


def delete_runs(database_url: str, *, jobs: list[str] | None = None, triggered_by: str | None = None) -> None:
    with engine_for(database_url).begin() as connection:
        if jobs:
            connection.execute(delete(JobRun).where(JobRun.job.in_(jobs)))
        if triggered_by:
            connection.execute(delete(JobRun).where(JobRun.triggered_by == triggered_by))


@pytest.fixture
def tag(settings: Settings) -> Iterator[str]:
    """A unique `triggered_by` for this test's runs; its runs are deleted afterwards."""
    value = f"test-{uuid.uuid4().hex[:8]}"
    yield value
    delete_runs(settings.database_url, triggered_by=value)


class GatedJob:
    """A test-only job that signals when it starts and waits until released: holds its lock."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, session, *, settings: Settings, fail: str | bool = False) -> dict:
        self.calls += 1
        self.started.set()
        if not self.release.wait(timeout=30):
            raise TimeoutError("the test never released the gated job")
        if fail:
            raise RuntimeError("injected failure")
        return {"calls": self.calls, "value": float("nan")}


@pytest.fixture
def gated_job(settings: Settings) -> Iterator[tuple[str, GatedJob]]:
    """(name, job): a unique job name registered for this test only."""
    name = f"gated_{uuid.uuid4().hex[:8]}"
    job = GatedJob()
    JOBS[name] = JobSpec(name, job, "test job", "evaluate_cron")
    yield name, job
    job.release.set()
    del JOBS[name]
    delete_runs(settings.database_url, jobs=[name])
    with engine_for(settings.database_url).begin() as connection:
        connection.execute(delete(JobLock).where(JobLock.name.like(f"%{name}")))
