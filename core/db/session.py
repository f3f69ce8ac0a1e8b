"""Units of work for the faces that own them (API, dashboard, MCP, CLI, jobs).

A unit of work is one transaction, committed before its caller answers anyone: a 2xx, a
green toast or an MCP result means the change is on disk.

- `session_scope(settings, write=True)` yields a Session committed on success and rolled
  back on any error. `write=False` marks a read: on SQLite it begins DEFERRED and never
  takes the write lock; a writing one begins IMMEDIATE (core.db.engine).
- `run_unit_of_work(settings, work, write=…)` runs `work(session)` in a unit of work and, if
  the database answers "busy" (SQLite's lock held past the busy timeout, a read that had to
  upgrade after another writer committed; PostgreSQL's serialization failure or deadlock),
  rolls back and runs it again, a bounded number of times; once, too, when a pooled
  connection turns out dead before the commit (a server restart). `work` must therefore do
  nothing but database work that a rollback undoes.
- `write=False` marks a read unit, which refuses to write; on PostgreSQL it runs without
  BEGIN and COMMIT (core.db.engine).
- `ShortUnits(settings)` is what long work (jobs) gets instead of one session: `read()`
  for a read-only unit, `write(work)` for a short committed one (`run_unit_of_work`), so
  minutes of computing happen between transactions, never inside one.
- A database that cannot be reached, or stays locked, raises `DatabaseUnavailableError`
  (a `ServiceUnavailableError`: 503 at the API), never a driver's exception.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings, get_settings
from core.db.engine import make_engine, make_session_factory
from core.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_ATTEMPTS = 6
RETRY_BASE_SECONDS = 0.05
# SQLite says "database is locked" (SQLITE_BUSY, incl. BUSY_SNAPSHOT) or "database table is locked".
_SQLITE_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_POSTGRES_RETRY_CODES = frozenset({"40001", "40P01", "55P03"})


class DatabaseUnavailableError(ServiceUnavailableError):
    """The database could not be reached, or stayed busy past every retry."""


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine (and pool) per URL and process."""
    return make_engine(database_url)


def open_pool(settings: Settings) -> None:
    """Open this process's PostgreSQL connections now, before it serves. Opened by the first
    burst of requests instead, each of them waits for a server backend to start: a p99 of
    1–3 s for the first seconds at 50 connections. A server that is down is only logged:
    requests answer 503 until it is back."""
    engine = engine_for(settings.database_url)
    if engine.dialect.name != "postgresql":
        return  # a SQLite connection opens in microseconds
    try:
        connections = [engine.connect() for _ in range(engine.pool.size())]
    except (OperationalError, InterfaceError) as exc:
        logger.warning("database connections not opened at start", extra={"error": type(exc).__name__})
        return
    for connection in connections:
        connection.close()  # back to the pool, open


@lru_cache(maxsize=16)
def _factory(database_url: str, write: bool) -> sessionmaker[Session]:
    return make_session_factory(engine_for(database_url), write=write)


def session_factory(settings: Settings | None = None, *, write: bool = True) -> sessionmaker[Session]:
    settings = settings or get_settings()
    return _factory(settings.database_url, write)


def is_busy(error: BaseException) -> bool:
    """Whether the database refused for contention, so the same work may succeed if run again."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if code in _POSTGRES_RETRY_CODES:
        return True
    return isinstance(error, OperationalError) and any(word in str(original).lower() for word in _SQLITE_BUSY_WORDS)


def is_unavailable(error: BaseException) -> bool:
    """Whether the error means the database cannot serve now (down, unreachable, locked)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | ConnectionError)


@contextmanager
def session_scope(settings: Settings | None = None, *, write: bool = True) -> Iterator[Session]:
    """A session committed on success and rolled back on any error (no retry: see below)."""
    with session_factory(settings, write=write)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def run_unit_of_work(
    settings: Settings | None, work: Callable[[Session], T], *, write: bool = True, attempts: int = RETRY_ATTEMPTS
) -> T:
    """`work(session)` in one committed unit of work, run again while the database is busy."""
    for attempt in range(1, attempts + 1):
        committing = False
        try:
            with session_scope(settings, write=write) as session:
                result = work(session)
                committing = True
            return result
        except DBAPIError as exc:
            if is_busy(exc) and attempt < attempts:
                pause = RETRY_BASE_SECONDS * 2 ** (attempt - 1) * (0.5 + random.random())
                logger.info("database busy; running the unit of work again", extra={"attempt": attempt})
                time.sleep(pause)
                continue
            if exc.connection_invalidated and not committing and attempt == 1:
                # A pooled connection the server dropped (a restart): nothing was committed
                # on it, and the pool has been discarded, so run once more on a new one. A
                # connection lost during COMMIT is never run again: that commit may have landed.
                logger.info("database connection lost; running the unit of work again on a new one")
                continue
            if is_busy(exc) or is_unavailable(exc):
                raise DatabaseUnavailableError(describe_unavailable(exc)) from exc
            raise
    raise AssertionError("unreachable")  # the loop returns or raises


def describe_unavailable(error: BaseException) -> str:
    if is_busy(error):
        return "the database is busy with other writers; try again in a moment"
    return "the database is unavailable right now; try again in a moment"


class ShortUnits:
    """Short units of work for long computations: read, compute outside, write briefly.

    Nothing stays open between calls, so a concurrent writer is never locked out for long
    and never kills the computation (busy writes are retried by `run_unit_of_work`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextmanager
    def read(self) -> Iterator[Session]:
        with session_scope(self.settings, write=False) as session:
            yield session

    def write(self, work: Callable[[Session], T]) -> T:
        return run_unit_of_work(self.settings, work)


class OneSession(ShortUnits):
    """`ShortUnits` over a session the caller already holds (a service inside its own unit of
    work, a test's rolled-back transaction): reads go to that session, and each write is a
    savepoint in it, so a failed one leaves the others in place as a failed short unit would."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def read(self) -> Iterator[Session]:
        yield self.session

    def write(self, work: Callable[[Session], T]) -> T:
        with self.session.begin_nested():
            return work(self.session)
