"""How many statements the figures cost, and a cache that is exact: a ledger write or a
price refresh changes what is served, nothing else does."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager

import pandas as pd
import pytest
from sqlalchemy import event

from core.config import Settings
from core.market.repository import upsert_prices
from core.memory_store import MemoryStore
from core.portfolio.analytics import cached_summary, measure_performance, returns_by_year, summarize_portfolio
from core.portfolio.analytics_cache import AnalyticsCache, RedisStore
from core.portfolio.ledger import record_transaction
from core.portfolio.schemas import TransactionCreate
from tests.factories import make_user

TICKERS = ("AAPL", "MSFT", "KO", "JNJ", "JPM", "HD", "XOM")


@contextmanager
def counted(session):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _buy(session, user, ticker, quantity=10.0, price=50.0, day=dt.date(2016, 3, 1)):
    data = TransactionCreate(date=day, ticker=ticker, type="buy", quantity=quantity, price=price)
    record_transaction(session, owner=user, data=data)


@pytest.fixture
def seven_holdings(session, load_prices):
    load_prices(*TICKERS)
    user = make_user(session)
    for ticker in TICKERS:
        _buy(session, user, ticker)
    return user


def _memory_cache() -> AnalyticsCache:
    return AnalyticsCache(MemoryStore(), prefix=f"test:{uuid.uuid4().hex}", ttl=60)


def test_a_summary_of_seven_holdings_takes_at_most_five_statements(session, seven_holdings):
    with counted(session) as plain:
        summarize_portfolio(session, owner=seven_holdings)
    cache = _memory_cache()
    with counted(session) as cold:
        summary = summarize_portfolio(session, owner=seven_holdings, cache=cache)
    with counted(session) as warm:
        assert summarize_portfolio(session, owner=seven_holdings, cache=cache) == summary
    assert len(plain) <= 4, plain  # no N+1: the last two closes of every ticker in one statement
    assert len(cold) <= 5, cold
    assert len(warm) <= 2, warm
    with counted(session) as performance:
        measure_performance(session, owner=seven_holdings, benchmark="EQUAL_WEIGHT", cache=cache)
    assert len(performance) <= 5, performance


def test_the_cache_serves_until_the_ledger_or_a_price_changes(session, seven_holdings):
    cache = _memory_cache()
    user = seven_holdings
    first = summarize_portfolio(session, owner=user, cache=cache)
    first_year = returns_by_year(session, owner=user, benchmark="KO", cache=cache)
    assert summarize_portfolio(session, owner=user, cache=cache) == first

    _buy(session, user, "KO", quantity=5)
    after_write = summarize_portfolio(session, owner=user, cache=cache)
    assert after_write == summarize_portfolio(session, owner=user)  # as computed without a cache
    assert {h.ticker: h.quantity for h in after_write.holdings}["KO"] == 15

    last = pd.DataFrame({"date": [dt.date(2016, 12, 30)], "open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0]})
    upsert_prices(session, "AAPL", last.assign(volume=0.0), source="test", overwrite=True)
    after_refresh = summarize_portfolio(session, owner=user, cache=cache)
    assert {h.ticker: h.last_price for h in after_refresh.holdings}["AAPL"] == 1.0
    assert after_refresh == summarize_portfolio(session, owner=user)
    refreshed_year = returns_by_year(session, owner=user, benchmark="KO", cache=cache)
    assert refreshed_year == returns_by_year(session, owner=user, benchmark="KO")
    assert refreshed_year != first_year


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server():
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.skipif(subprocess.run(["which", "redis-server"], capture_output=True).returncode, reason="no redis")
def test_redis_shares_the_cache_and_a_frozen_redis_only_costs_its_timeout(session, seven_holdings):
    with redis_server() as (process, url):
        settings = Settings(redis_url=url, analytics_cache_timeout_seconds=0.2)
        prefix = f"test:{uuid.uuid4().hex}"
        one = AnalyticsCache(RedisStore(url, 0.2), prefix=prefix, ttl=60)
        other_process = AnalyticsCache(RedisStore(url, 0.2), prefix=prefix, ttl=60)
        summary = summarize_portfolio(session, owner=seven_holdings, cache=one)
        with counted(session) as warm:
            assert summarize_portfolio(session, owner=seven_holdings, cache=other_process) == summary
        assert len(warm) <= 2  # served from Redis to a second client

        os.kill(process.pid, signal.SIGSTOP)  # Redis hangs: every call times out, then it is bypassed
        frozen = AnalyticsCache(RedisStore(url, settings.analytics_cache_timeout_seconds), prefix=prefix, ttl=60)
        started = time.monotonic()
        assert summarize_portfolio(session, owner=seven_holdings, cache=frozen) == summary
        assert summarize_portfolio(session, owner=seven_holdings, cache=frozen) == summary
        assert time.monotonic() - started < 30  # bounded by the timeout, not by Redis


def test_the_cached_summary_answers_what_is_cached_for_the_current_versions(session, seven_holdings):
    """What a face's event loop is answered with first (core.db.loop_reads.answered_first_by)."""
    cache = _memory_cache()
    assert cached_summary(session, owner=seven_holdings, cache=cache) is None  # not computed yet
    summary = summarize_portfolio(session, owner=seven_holdings, cache=cache)
    with counted(session) as lookup:
        assert cached_summary(session, owner=seven_holdings, cache=cache) == summary
    assert len(lookup) <= 2
    _buy(session, seven_holdings, "KO", quantity=5)
    assert cached_summary(session, owner=seven_holdings, cache=cache) is None  # the ledger changed


@pytest.mark.skipif(subprocess.run(["which", "redis-server"], capture_output=True).returncode, reason="no redis")
def test_the_cached_summary_never_asks_a_shared_cache(session, seven_holdings):
    """A Redis call may hang until its timeout: never on an event loop."""
    with redis_server() as (_process, url):
        shared = AnalyticsCache(RedisStore(url, 0.2), prefix=f"test:{uuid.uuid4().hex}", ttl=60)
        summarize_portfolio(session, owner=seven_holdings, cache=shared)
        assert summarize_portfolio(session, owner=seven_holdings, cache=shared) is not None
        with counted(session) as lookup:
            assert cached_summary(session, owner=seven_holdings, cache=shared) is None  # although Redis holds it
        assert lookup == []
