"""Bounded reads on the event loop: the same answers as the threadpool's units of work, on the
loop's own thread, refusing to write; on PostgreSQL (asyncpg) replacing a connection the server
dropped, and a 503-shaped error when the server cannot be reached; on SQLite never waiting for
a lock there (such a read goes to the threadpool)."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import WriteInReadUnitError
from core.db.loop_reads import LOOP_POOL_SIZE, close_loop_pool, open_loop_pool, read_on_loop, reads_on_loop
from core.db.migrate import upgrade_to_head
from core.db.session import DatabaseUnavailableError, engine_for, run_unit_of_work
from core.db.tables import Ticker
from tests.db.test_units_of_work import (  # noqa: F401  (fixtures)
    TEST_NAME,
    add_ticker,
    forget_test_tickers,
    new_symbol,
    own_pool,
    terminate_backends,
)


@pytest.fixture
def postgres(settings: Settings) -> Settings:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("asyncpg's reads on the loop: PostgreSQL only")
    return settings


def names_of(symbol: str):
    def work(session: Session) -> list[str]:
        return list(session.scalars(select(Ticker.name).where(Ticker.symbol == symbol)))

    return work


@pytest.fixture
def sqlite_file(tmp_path) -> Settings:
    """A SQLite file of its own: no other connection of the run holds it open."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade_to_head(url)
    yield Settings(database_url=url, data_dir=tmp_path, migrate_on_start=False, _env_file=None)
    engine_for(url).dispose()


def test_reads_run_on_the_loop_on_postgresql_and_a_sqlite_file_but_not_an_in_memory_database(settings: Settings):
    assert reads_on_loop(settings)
    assert not reads_on_loop(settings.model_copy(update={"database_url": "sqlite://"}))


def test_a_url_with_a_libpq_parameter_asyncpg_cannot_take_keeps_reads_in_the_threadpool(settings: Settings):
    def on(url: str) -> bool:
        return reads_on_loop(settings.model_copy(update={"database_url": url}))

    assert on("postgresql://u@db/x?sslmode=require&application_name=a&connect_timeout=3")
    assert not on("postgresql://u@db/x?sslmode=require&target_session_attrs=read-write")
    assert on("sqlite:///app.db")


async def test_a_read_on_the_loop_answers_as_the_threadpool_does_on_the_loops_thread(settings: Settings):
    symbol = new_symbol()
    run_unit_of_work(settings, add_ticker(symbol))
    threads = []

    def work(session: Session) -> list[str]:
        threads.append(threading.get_ident())
        return names_of(symbol)(session)

    try:
        on_loop = await read_on_loop(settings, work)
    finally:
        await close_loop_pool()

    assert on_loop == run_unit_of_work(settings, names_of(symbol), write=False) == ["unit of work test"]
    assert threads == [threading.get_ident()]  # no worker thread was handed the read


async def test_a_read_on_the_loop_refuses_to_write(settings: Settings):
    symbol = new_symbol()
    try:
        with pytest.raises(WriteInReadUnitError, match="INSERT"):
            await read_on_loop(settings, add_ticker(symbol))
    finally:
        await close_loop_pool()
    assert run_unit_of_work(settings, names_of(symbol), write=False) == []


def add_ticker_behind_a_select(symbol: str):
    """An INSERT whose statement opens with WITH, as a read's may: the database refuses it."""

    def work(session: Session) -> None:
        new = "WITH new AS (SELECT :symbol AS symbol, :name AS name) "
        added = "INSERT INTO ticker (symbol, name, currency, source) SELECT symbol, name, 'USD', 'bundled' FROM new"
        session.execute(text(new + added), {"symbol": symbol, "name": TEST_NAME})

    return work


async def test_a_read_on_the_loop_refuses_a_write_behind_a_select(settings: Settings):
    symbol = new_symbol()
    try:
        with pytest.raises(WriteInReadUnitError, match="WITH"):
            await read_on_loop(settings, add_ticker_behind_a_select(symbol))
    finally:
        await close_loop_pool()
    assert run_unit_of_work(settings, names_of(symbol), write=False) == []
    run_unit_of_work(settings, add_ticker_behind_a_select(symbol))  # as a write unit's, it is stored
    assert run_unit_of_work(settings, names_of(symbol), write=False) == [TEST_NAME]


def backends_of(settings: Settings) -> list[int]:
    admin_url = settings.database_url.split("?", 1)[0]
    name = settings.database_url.rsplit("application_name=", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        rows = admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,))
        return [pid for (pid,) in rows]


async def test_the_loops_connections_are_opened_before_serving_on_postgresql_and_none_on_a_sqlite_file(
    own_pool: Settings,  # noqa: F811
    sqlite_file: Settings,
):
    threads = threading.active_count()
    try:
        await open_loop_pool(sqlite_file)  # its reads use the never-waiting engine's connections
        assert threading.active_count() == threads  # no aiosqlite connection, nor its thread
        await open_loop_pool(own_pool)
        assert len(backends_of(own_pool)) == LOOP_POOL_SIZE
    finally:
        await close_loop_pool()


async def test_a_connection_the_server_dropped_is_replaced(own_pool: Settings):  # noqa: F811
    name = own_pool.database_url.rsplit("application_name=", 1)[1]
    try:  # the URL's libpq parameters (sslmode, connect_timeout, application_name) reach asyncpg
        shown = await read_on_loop(own_pool, lambda session: session.execute(text("SHOW application_name")).scalar())
        assert shown == name
        assert terminate_backends(own_pool) >= 1
        assert await read_on_loop(own_pool, lambda session: session.execute(text("SELECT 2")).scalar()) == 2
    finally:
        await close_loop_pool()


async def test_a_server_that_cannot_be_reached_is_a_database_unavailable_error(postgres: Settings):
    nowhere = postgres.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:9/nowhere"})
    try:
        with pytest.raises(DatabaseUnavailableError, match="database"):
            await read_on_loop(nowhere, lambda session: session.execute(text("SELECT 1")).scalar())
    finally:
        await close_loop_pool()


async def test_a_sqlite_read_that_meets_a_lock_goes_to_the_threadpool_and_the_loop_goes_on(sqlite_file: Settings):
    """A writer in exclusive locking mode holds a lock no WAL reader can pass. The read on the
    loop fails at once instead of waiting there for the busy timeout; the threadpool's read
    waits for the lock, and meanwhile the loop keeps answering (its ticks stay short)."""
    symbol = new_symbol()
    run_unit_of_work(sqlite_file, add_ticker(symbol))
    engine_for(sqlite_file.database_url).dispose()  # its pooled connection would keep the lock away
    holder = sqlite3.connect(
        sqlite_file.database_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE ticker SET name = 'renamed under lock' WHERE symbol = ?", (symbol,))
    release = threading.Timer(0.6, lambda: (holder.execute("COMMIT"), holder.close()))
    ticks: list[float] = []

    async def ticking() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(ticking())
    release.start()
    started = time.perf_counter()
    try:
        names = await read_on_loop(sqlite_file, names_of(symbol))
    finally:
        release.join()
        ticker.cancel()
    waited = time.perf_counter() - started

    assert names == ["renamed under lock"]  # read once the writer committed
    assert waited >= 0.5
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.2


async def test_a_sqlite_file_that_cannot_be_opened_is_a_database_unavailable_error(tmp_path):
    a_directory = tmp_path / "not-a-file.db"
    a_directory.mkdir()
    settings = Settings(database_url=f"sqlite:///{a_directory}", data_dir=tmp_path, _env_file=None)
    with pytest.raises(DatabaseUnavailableError, match="database"):
        await read_on_loop(settings, lambda session: session.execute(text("SELECT 1")).scalar())
