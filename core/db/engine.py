"""Engines and session factories, sync and async, derived from one DATABASE_URL.

`DATABASE_URL` may name a driver or not; `sync_url` and `async_url` derive the form each side
needs (psycopg 3 / pysqlite for sync, asyncpg / aiosqlite for async).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

_SYNC_DRIVERS = {"sqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg"}
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    if url.startswith("postgres://"):  # Heroku-style alias
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in drivers:
        raise ValueError(f"unsupported database backend {backend!r} in DATABASE_URL")
    return parsed.set(drivername=drivers[backend]).render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    return _with_driver(url, _SYNC_DRIVERS)


def async_url(url: str) -> str:
    return _with_driver(url, _ASYNC_DRIVERS)


def is_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    in_memory = parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    return parsed.get_backend_name() == "sqlite" and not in_memory


def _ensure_sqlite_dir(url: str) -> None:
    if is_sqlite_file(url):
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)


# Execution option naming a unit of work that writes: on SQLite it begins with BEGIN IMMEDIATE.
WRITE_OPTION = "stockcast_write"
SQLITE_BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_SECONDS = 5
POSTGRES_POOL_SIZE = 20  # per process: above the use cases one API process runs at once on 2 cores
# A SQLite file's pool: SQLAlchemy's defaults, named because core.db.admission sizes by them.
SQLITE_POOL_SIZE = 5
SQLITE_MAX_OVERFLOW = 10


def _configure_sqlite(engine: Engine) -> None:
    """SQLite as an embedded database for several processes (API, dashboard, scheduler, worker).

    - WAL: readers never block the writer, nor the writer the readers.
    - busy_timeout: a writer waits for the write lock instead of failing at once.
    - synchronous=FULL: a committed transaction survives a power cut, not only a killed process.
    - SQLAlchemy (not pysqlite) issues BEGIN (pysqlite's own handling breaks SAVEPOINT; this is
      SQLAlchemy's documented recipe), and a writing unit of work begins IMMEDIATE: it takes
      the write lock up front, so it waits its turn (busy_timeout) rather than failing when a
      read transaction must upgrade after another writer committed.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _engine_options(url: str, *, asynchronous: bool) -> dict:
    # hide_parameters: SQL parameters (password hashes, token hashes) never reach an error
    # message, a log line or a traceback.
    options: dict = {"hide_parameters": True}
    if make_url(url).get_backend_name() == "postgresql":
        # No ping on checkout: it was a round trip on every request. A connection that a
        # server restart dropped fails its first statement instead; SQLAlchemy then discards
        # the whole pool, and core.db.session runs the unit of work again on a new connection.
        # A server that does not answer fails the request in seconds (→ 503), not minutes.
        key = "timeout" if asynchronous else "connect_timeout"
        options["connect_args"] = {key: CONNECT_TIMEOUT_SECONDS}
        # Connections kept open per process, and no more opened past them: SQLAlchemy's
        # default (5, plus 10 opened and closed again on demand) made a PostgreSQL backend
        # start and stop for most requests under load, a p99 of about 1 s at 50 connections.
        options["pool_size"] = POSTGRES_POOL_SIZE
        options["max_overflow"] = 0
    elif is_sqlite_file(url):
        options["pool_size"] = SQLITE_POOL_SIZE
        options["max_overflow"] = SQLITE_MAX_OVERFLOW
    return options


def pool_capacity(url: str) -> int:
    """How many connections one process's pool for `url` holds at most: how many units of
    work it can serve at once without one waiting for another's connection."""
    if make_url(url).get_backend_name() == "postgresql":
        return POSTGRES_POOL_SIZE
    return SQLITE_POOL_SIZE + SQLITE_MAX_OVERFLOW  # a file's (an in-memory database is a test's)


def make_engine(url: str, **kwargs) -> Engine:
    url = sync_url(url)
    _ensure_sqlite_dir(url)
    engine = create_engine(url, **{**_engine_options(url, asynchronous=False), **kwargs})
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


# The libpq URL parameters that asyncpg is handed under its own names (`_libpq_to_asyncpg`).
ASYNCPG_KNOWN_PARAMETERS = frozenset({"sslmode", "connect_timeout", "application_name"})


def _libpq_to_asyncpg(url: str, options: dict) -> str:
    """`url` without the libpq parameters asyncpg names otherwise, which go to its connect
    arguments instead (asyncpg takes a URL's parameters as keywords, and refuses libpq's)."""
    parsed = make_url(url)
    query = dict(parsed.query)
    connect_args = options.setdefault("connect_args", {})
    if "sslmode" in query:
        connect_args["ssl"] = query.pop("sslmode")  # asyncpg takes libpq's sslmode words
    if "connect_timeout" in query:
        connect_args["timeout"] = float(query.pop("connect_timeout"))
    if "application_name" in query:
        connect_args["server_settings"] = {"application_name": query.pop("application_name")}
    return parsed.set(query=query).render_as_string(hide_password=False)


def make_async_engine(url: str, **kwargs) -> AsyncEngine:
    url = async_url(url)
    _ensure_sqlite_dir(url)
    options = _engine_options(url, asynchronous=True)
    if make_url(url).get_backend_name() == "postgresql":
        url = _libpq_to_asyncpg(url, options)
    engine = create_async_engine(url, **{**options, **kwargs})
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine.sync_engine)
    return engine


class WriteInReadUnitError(RuntimeError):
    """A unit of work opened for reading tried to write: a defect in the use case or its face."""


# What a read unit sends: queries, and on SQLite its own BEGIN (see `_configure_sqlite`).
_READ_STATEMENTS = ("SELECT", "WITH", "SHOW", "BEGIN")


def _refusal(statement: str) -> WriteInReadUnitError:
    return WriteInReadUnitError(f"a read unit of work may not run {statement.split(None, 1)[0]!r}")


def _refuse_writes(_conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if not statement.lstrip()[:6].upper().startswith(_READ_STATEMENTS):
        raise _refusal(statement)


_READ_ONLY_TRANSACTION = "25006"  # PostgreSQL's read_only_sql_transaction


def refused_write(error: DBAPIError) -> WriteInReadUnitError | None:
    """The refusal a write met on a read-only connection (`make_loop_read_engine`,
    `make_never_waiting_sqlite_engine`), as a read unit's listener raises it; else None.
    SQLite's plain SQLITE_READONLY is `query_only`'s: a file that cannot be written has
    extended codes of its own (SQLITE_READONLY_CANTINIT, …)."""
    original = error.orig
    if getattr(original, "sqlstate", None) == _READ_ONLY_TRANSACTION or (
        getattr(original, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY
    ):
        return _refusal(error.statement or "")
    return None


def _read_engine(engine: Engine) -> Engine:
    """`engine` for read units. On PostgreSQL they run in autocommit: no BEGIN and no COMMIT,
    two round trips fewer per read, and the same view of the data, since under READ COMMITTED
    each statement takes its own snapshot inside a transaction too. Without a transaction to
    roll back, a write would stick statement by statement, so a read unit refuses to write,
    on both databases alike."""
    options = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}
    reading = engine.execution_options(**options)
    event.listen(reading, "before_cursor_execute", _refuse_writes)
    return reading


def make_never_waiting_sqlite_engine(url: str) -> Engine:
    """A SQLite engine of read units whose connections never wait for a lock (busy_timeout 0):
    a statement that meets one fails at once with "database is locked" (core.db.loop_reads),
    opening the connection included (pysqlite's own timeout, which its set-up pragmas run
    under). Its connections are `query_only`: SQLite refuses a write (`refused_write`), with
    no listener on every statement (see `make_loop_read_engine`)."""
    engine = make_engine(url, connect_args={"timeout": 0})

    @event.listens_for(engine, "connect")
    def _never_wait(dbapi_connection, _record) -> None:  # after `_configure_sqlite`'s pragmas
        dbapi_connection.execute("PRAGMA busy_timeout=0")
        dbapi_connection.execute("PRAGMA query_only=ON")

    return engine


def make_loop_read_engine(url: str, *, pool_size: int) -> AsyncEngine:
    """An asyncpg engine of PostgreSQL read units on the event loop (core.db.loop_reads), read
    as `_read_engine` reads, in autocommit and refusing to write, but both set once per
    connection: the engine's own isolation level, and the server's
    `default_transaction_read_only`, so the server refuses a write (`refused_write` names it
    as the listener would). An engine with options and a listener on every statement cost
    about 0.3 million instructions more per read of one statement (about half of it), and
    0.28 million per `GET /api/portfolio` (bench/request_cost.py). The server's refusal also
    catches what a statement's first word hides: `WITH … INSERT`, `SELECT nextval(…)`."""
    url = async_url(url)
    options = _engine_options(url, asynchronous=True)
    url = _libpq_to_asyncpg(url, options)
    server_settings = options["connect_args"].setdefault("server_settings", {})
    server_settings["default_transaction_read_only"] = "on"
    return create_async_engine(url, **{**options, "pool_size": pool_size, "isolation_level": "AUTOCOMMIT"})


def make_session_factory(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions on `engine`; `write=True` marks their transactions as writing (see above),
    `write=False` as reading (`_read_engine`)."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else _read_engine(engine)
    return sessionmaker(bind, expire_on_commit=False)
