"""Bounded reads on the event loop (PostgreSQL, asyncpg): the same answers as the threadpool's
units of work, on the loop's own thread, refusing to write, replacing a connection the server
dropped, and a 503-shaped error when the server cannot be reached."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import WriteInReadUnitError
from core.db.loop_reads import close_loop_pool, read_on_loop, reads_on_loop
from core.db.session import DatabaseUnavailableError, run_unit_of_work
from core.db.tables import Ticker
from tests.db.test_units_of_work import (  # noqa: F401  (fixtures)
    add_ticker,
    forget_test_tickers,
    new_symbol,
    own_pool,
    terminate_backends,
)


@pytest.fixture
def postgres(settings: Settings) -> Settings:
    if not reads_on_loop(settings):
        pytest.skip("reads run on the loop on PostgreSQL only")
    return settings


def names_of(symbol: str):
    def work(session: Session) -> list[str]:
        return list(session.scalars(select(Ticker.name).where(Ticker.symbol == symbol)))

    return work


def test_sqlite_reads_stay_in_the_threadpool(settings: Settings):
    assert reads_on_loop(settings) == settings.database_url.startswith("postgresql")


def test_a_url_with_a_libpq_parameter_asyncpg_cannot_take_keeps_reads_in_the_threadpool(settings: Settings):
    def on(url: str) -> bool:
        return reads_on_loop(settings.model_copy(update={"database_url": url}))

    assert on("postgresql://u@db/x?sslmode=require&application_name=a&connect_timeout=3")
    assert not on("postgresql://u@db/x?sslmode=require&target_session_attrs=read-write")
    assert not on("sqlite:///app.db")


async def test_a_read_on_the_loop_answers_as_the_threadpool_does_on_the_loops_thread(postgres: Settings):
    symbol = new_symbol()
    run_unit_of_work(postgres, add_ticker(symbol))
    threads = []

    def work(session: Session) -> list[str]:
        threads.append(threading.get_ident())
        return names_of(symbol)(session)

    try:
        on_loop = await read_on_loop(postgres, work)
    finally:
        await close_loop_pool()

    assert on_loop == run_unit_of_work(postgres, names_of(symbol), write=False) == ["unit of work test"]
    assert threads == [threading.get_ident()]  # no worker thread was handed the read


async def test_a_read_on_the_loop_refuses_to_write(postgres: Settings):
    symbol = new_symbol()
    try:
        with pytest.raises(WriteInReadUnitError, match="INSERT"):
            await read_on_loop(postgres, add_ticker(symbol))
    finally:
        await close_loop_pool()
    assert run_unit_of_work(postgres, names_of(symbol), write=False) == []


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
