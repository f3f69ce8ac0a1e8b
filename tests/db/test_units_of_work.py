"""Units of work on the real databases: a read unit never writes, and a pooled connection that the
server dropped (a restart) costs no request, while one lost during COMMIT is never run again."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import delete, event, select, text
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import WriteInReadUnitError
from core.db.session import DatabaseUnavailableError, engine_for, run_unit_of_work
from core.db.tables import Ticker


@pytest.fixture(autouse=True)
def forget_test_tickers(settings: Settings):
    """The tickers these tests commit are deleted afterwards: other tests count tickers."""
    yield
    run_unit_of_work(settings, lambda session: session.execute(delete(Ticker).where(Ticker.name == TEST_NAME)))


TEST_NAME = "unit of work test"


def new_symbol() -> str:
    return "T" + uuid.uuid4().hex[:8].upper()


def stored(settings: Settings, symbol: str) -> bool:
    return run_unit_of_work(settings, lambda session: session.get(Ticker, symbol) is not None, write=False)


def add_ticker(symbol: str):
    def work(session: Session) -> None:
        session.add(Ticker(symbol=symbol, name=TEST_NAME))
        session.flush()

    return work


def test_a_read_unit_refuses_to_write_and_stores_nothing(settings: Settings):
    symbol = new_symbol()

    with pytest.raises(WriteInReadUnitError, match="INSERT"):
        run_unit_of_work(settings, add_ticker(symbol), write=False)

    assert not stored(settings, symbol)
    run_unit_of_work(settings, add_ticker(symbol))  # the same work as a write unit is stored
    assert stored(settings, symbol)


def test_a_read_unit_sees_what_a_write_unit_committed(settings: Settings):
    symbol = new_symbol()
    run_unit_of_work(settings, add_ticker(symbol))

    names = run_unit_of_work(
        settings, lambda session: session.scalars(select(Ticker.name).where(Ticker.symbol == symbol)).all(), write=False
    )

    assert names == ["unit of work test"]


@pytest.fixture
def own_pool(settings: Settings) -> Settings:
    """Settings whose URL names its own application, so its pools' backends can be told apart."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a SQLite file has no connection to drop")
    name = f"uow_{uuid.uuid4().hex[:8]}"
    separator = "&" if "?" in settings.database_url else "?"
    # libpq's parameters, as a deployment's URL may carry them (asyncpg names them otherwise)
    query = f"sslmode=disable&connect_timeout=5&application_name={name}"
    mine = settings.model_copy(update={"database_url": f"{settings.database_url}{separator}{query}"})
    yield mine
    engine_for(mine.database_url).dispose()


def terminate_backends(settings: Settings, *, pid: int | None = None) -> int:
    """Drop the server side of the pool's connections (all of them, or one), as a restart would."""
    admin_url = settings.database_url.split("?", 1)[0]
    name = settings.database_url.rsplit("application_name=", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
            "AND (%s::int IS NULL OR pid = %s::int)",
            (name, pid, pid),
        ).fetchall()
    return len(rows)


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_a_unit_on_a_connection_the_server_dropped_runs_on_a_new_one(own_pool: Settings, write: bool):
    symbol = new_symbol()
    run_unit_of_work(own_pool, lambda session: session.execute(text("SELECT 1")).scalar())  # pool opened
    assert terminate_backends(own_pool) >= 1

    if write:
        run_unit_of_work(own_pool, add_ticker(symbol))
        assert stored(own_pool, symbol)
    else:
        answer = run_unit_of_work(own_pool, lambda session: session.execute(text("SELECT 42")).scalar(), write=False)
        assert answer == 42


def test_a_connection_lost_during_commit_is_not_run_again(own_pool: Settings):
    symbol = new_symbol()
    runs = []

    def work(session: Session) -> None:
        runs.append(symbol)
        add_ticker(symbol)(session)
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        event.listen(session, "before_commit", lambda _session: terminate_backends(own_pool, pid=pid))

    with pytest.raises(DatabaseUnavailableError):
        run_unit_of_work(own_pool, work)

    assert runs == [symbol]  # not run a second time: a lost COMMIT may have landed
    assert not stored(own_pool, symbol)  # here it had not been sent
