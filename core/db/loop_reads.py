"""Bounded reads on the event loop.

A use case marked `@bounded_read` reads a bounded number of rows with a few indexed
statements and computes nothing heavy (a page of holdings, one task, the caller's account).
A face with an event loop runs it there, with no hand-over to a worker thread, which must win
the GIL back from the loop after every statement:

- PostgreSQL: `await read_on_loop(settings, work)` hands `work` a Session over an asyncpg
  connection (`AsyncSession.run_sync`), so it waits for the server with an `await`.
  `bench/units_of_work.py`, 20 reads at a time on 2 cores: 1.45 ms of CPU a read on the loop
  against 2.73 ms in the threadpool. At most LOOP_POOL_SIZE reads of a loop run at once,
  admitted in arrival order, so none waits on the pool (core.db.admission says why).
- SQLite (a file): the read runs right there, on a connection that never waits for a lock
  (busy_timeout 0). In WAL mode a reader takes no lock a writer holds, so it answers from
  the page cache in microseconds; in the rare case that it meets one (a connection in
  exclusive locking mode, a recovery), it fails at once and the read goes to the threadpool,
  where it may wait. aiosqlite is no way out: it hands each statement to a thread of its own
  and cost 2.3× a threadpool read. `GET /api/portfolio` at 50 connections (wrk, three
  alternating rounds): 1.74–1.82 ms of server CPU a request against 1.97–2.29 ms through the
  threadpool.

The statements every request runs (the account check, a page of holdings, the versions a
cached figure is keyed on) are built once, at import, with bound parameters: SQLAlchemy spends
as much building a statement and its cache key as the round trip's whole SQLAlchemy path
(0.2–0.4 million instructions each; bench/request_cost.py).

A use case that is not bounded itself may be answered first by one that is
(`answered_first_by`): the summary, from the analytics cache, when the versions it was
computed on are current; it is computed in the threadpool only when that answers None.

Everything else, and an in-memory SQLite database (a test's), runs in the threadpool
(core.db.session, core.db.admission).

Errors read as the threadpool's do: a server that cannot be reached raises
`DatabaseUnavailableError`, and a pooled connection that the server dropped is replaced once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings
from core.db.admission import run_in_thread
from core.db.engine import (
    ASYNCPG_KNOWN_PARAMETERS,
    is_sqlite_file,
    make_loop_read_engine,
    make_never_waiting_sqlite_engine,
    refused_write,
)
from core.db.session import DatabaseUnavailableError, describe_unavailable, is_busy, is_unavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

LOOP_POOL_SIZE = 10  # per process: reads on the loop hold a connection for a few ms each


@dataclass(frozen=True)
class _LoopReads:
    sessions: async_sessionmaker[AsyncSession]
    # Admits LOOP_POOL_SIZE reads at once, in arrival order (core.db.admission says why).
    admitted: asyncio.Semaphore


# asyncpg connections belong to the loop that opened them: one engine per loop and URL.
_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _LoopReads]] = weakref.WeakKeyDictionary()


def bounded_read(service: F) -> F:
    """Mark `service` as a bounded read (see the module): a face may run it on its loop."""
    service.bounded_read = True
    return service


def is_bounded_read(service: Callable[..., Any]) -> bool:
    return getattr(service, "bounded_read", False)


def answered_first_by(cached: Callable[..., Any]) -> Callable[[F], F]:
    """Mark a use case whose answer the bounded read `cached` (same arguments) may give first:
    a face with an event loop runs `cached` there, and the use case itself, in a worker
    thread, only when `cached` answers None (a figure not cached for the current versions)."""

    def mark(service: F) -> F:
        service.answered_first_by = bounded_read(cached)
        return service

    return mark


def first_answer_of(service: Callable[..., Any]) -> Callable[..., Any] | None:
    return getattr(service, "answered_first_by", None)


def reads_on_loop(settings: Settings) -> bool:
    """Whether bounded reads of this database run on the event loop: on a SQLite file, and on
    PostgreSQL unless its URL carries a libpq parameter asyncpg cannot be handed (they then
    run in the threadpool). Asked on every read request: remembered per URL."""
    return _reads_on_loop(settings.database_url)


@lru_cache(maxsize=8)
def _reads_on_loop(database_url: str) -> bool:
    if _backend(database_url) == "postgresql":
        return set(make_url(database_url).query) <= ASYNCPG_KNOWN_PARAMETERS
    return is_sqlite_file(database_url)


@lru_cache(maxsize=8)
def _backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()  # asked on every read: remembered per URL


def _loop_reads(settings: Settings) -> _LoopReads:
    per_url = _per_loop.setdefault(asyncio.get_running_loop(), {})
    reads = per_url.get(settings.database_url)
    if reads is None:
        engine = make_loop_read_engine(settings.database_url, pool_size=LOOP_POOL_SIZE)
        reads = _LoopReads(async_sessionmaker(engine, expire_on_commit=False), asyncio.Semaphore(LOOP_POOL_SIZE))
        per_url[settings.database_url] = reads
    return reads


async def read_on_loop(settings: Settings, work: Callable[[Session], T]) -> T:
    """`work(session)` as a read unit of work on the running loop (see the module)."""
    if _backend(settings.database_url) == "sqlite":
        try:
            return _read_sqlite_here(settings.database_url, work)
        except DBAPIError as exc:
            if refusal := refused_write(exc):
                raise refusal from exc
            if not is_busy(exc):
                if is_unavailable(exc):  # the file cannot be opened or read: as the threadpool says
                    raise DatabaseUnavailableError(describe_unavailable(exc)) from exc
                raise
        logger.info("a read on the event loop met a lock; running it in the threadpool")
        return await run_in_thread(settings, work, write=False, short_read=True)
    reads = _loop_reads(settings)
    async with reads.admitted:
        return await _read(reads.sessions, work)


@lru_cache(maxsize=8)
def _never_waiting_reads(database_url: str) -> sessionmaker[Session]:
    return sessionmaker(make_never_waiting_sqlite_engine(database_url), expire_on_commit=False)


def _read_sqlite_here(database_url: str, work: Callable[[Session], T]) -> T:
    with _never_waiting_reads(database_url)() as session:
        result = work(session)
        session.commit()  # ends the read transaction: its snapshot is not kept on the connection
        return result


async def _read(sessions: async_sessionmaker[AsyncSession], work: Callable[[Session], T]) -> T:
    for attempt in (1, 2):
        try:
            async with sessions() as session:
                return await session.run_sync(work)
        except DBAPIError as exc:
            if exc.connection_invalidated and attempt == 1:
                logger.info("database connection lost; running the read again on a new one")
                continue
            if is_unavailable(exc):
                raise DatabaseUnavailableError(describe_unavailable(exc)) from exc
            if refusal := refused_write(exc):
                raise refusal from exc
            raise
        except OSError as exc:  # asyncpg's own: refused, reset, timed out while connecting
            raise DatabaseUnavailableError(describe_unavailable(exc)) from exc
    raise AssertionError("unreachable")  # the loop returns or raises


async def open_loop_pool(settings: Settings) -> None:
    """Open this loop's PostgreSQL connections now, before serving (as core.db.session.open_pool
    does for the threadpool's); a server that is down is only logged. A SQLite file's reads on
    the loop open none: they run on the never-waiting engine's (`_read_sqlite_here`)."""
    if not reads_on_loop(settings) or _backend(settings.database_url) != "postgresql":
        return
    sessions = [_loop_reads(settings).sessions() for _ in range(LOOP_POOL_SIZE)]
    try:
        async with asyncio.timeout(30):
            for session in sessions:
                await session.connection()
    except (DBAPIError, OSError) as exc:
        logger.warning("database connections for reads on the loop not opened", extra={"error": type(exc).__name__})
    finally:
        for session in sessions:
            await session.close()


async def close_loop_pool() -> None:
    """Close the running loop's connections (at shutdown, and after a test's loop)."""
    for reads in _per_loop.pop(asyncio.get_running_loop(), {}).values():
        await reads.sessions.kw["bind"].dispose()
