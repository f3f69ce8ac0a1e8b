"""Job locks: one interface, three implementations, so two runs of a job never overlap.

Each lock is a *lease*: held for `JOB_LEASE_SECONDS` and renewed by the running job's
heartbeat (`renew()`, every `JOB_HEARTBEAT_SECONDS`, see `core.jobs.leases`). A holder that
dies stops renewing, and its lock is free within one lease: no hours-long lock outlives it.

- `AdvisoryLock`  PostgreSQL `pg_try_advisory_lock` held on a dedicated connection; a crashed
                  holder's connection closes and the server frees the lock (renew: nothing).
- `RowLock`       a row in `job_lock` (any SQL database; the SQLite default). The primary key
                  makes the insert the test-and-set; a row past `expires_at` is a dead
                  holder's and is taken over; renew moves `expires_at` on.
- `RedisLock`     `SET NX PX` through redis-py's Lock, when `REDIS_URL` is set (workers on many
                  machines share it); it expires by itself, renew resets its time to live.

`make_lock(name, settings=…)` picks one. Every lock is non-blocking: `acquire()` answers at
once, True when this holder now has it. Lock names are scoped to the database they protect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import uuid
from typing import Literal, Protocol

from sqlalchemy import delete, text, update
from sqlalchemy.exc import IntegrityError

from core.config import Settings
from core.db.session import engine_for
from core.db.tables import JobLock, utcnow
from core.jobs.redis_connection import database_scope, redis_client

logger = logging.getLogger(__name__)

LockKind = Literal["advisory", "row", "redis"]


class Lock(Protocol):
    name: str

    def acquire(self) -> bool: ...

    def renew(self) -> bool:
        """Extend the lease; False when it had lapsed and someone else may hold the lock."""
        ...

    def release(self) -> None: ...


def lock_holder_id() -> str:
    """Who holds a lock: host, process and a random suffix (for logs and the job_lock row)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock` (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class AdvisoryLock:
    def __init__(self, name: str, *, database_url: str) -> None:
        self.name = name
        self._engine = engine_for(database_url)
        self._connection = None

    def acquire(self) -> bool:
        # A dedicated connection in autocommit: the lock lives as long as the session does,
        # whatever transactions the job itself opens on its own connections.
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(self.name)})
            acquired = bool(got.scalar())
        except BaseException:
            connection.close()
            raise
        if not acquired:
            connection.close()
            return False
        self._connection = connection
        return True

    def renew(self) -> bool:
        # Held as long as the connection lives: nothing to extend.
        return self._connection is not None

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)})
        finally:
            # Closing ends the session too, which frees the lock even if the unlock failed.
            self._connection.invalidate()
            self._connection.close()
            self._connection = None


class RowLock:
    def __init__(self, name: str, *, database_url: str, lease_seconds: float) -> None:
        self.name = name
        self.holder = lock_holder_id()
        self.ttl = dt.timedelta(seconds=lease_seconds)
        self._engine = engine_for(database_url)

    def acquire(self) -> bool:
        now = utcnow()
        try:
            with self._engine.begin() as connection:
                # Write first: on SQLite this takes the write lock before reading anything.
                connection.execute(delete(JobLock).where(JobLock.name == self.name, JobLock.expires_at < now))
                connection.execute(
                    JobLock.__table__.insert().values(
                        name=self.name, holder=self.holder, acquired_at=now, expires_at=now + self.ttl
                    )
                )
        except IntegrityError:
            return False
        return True

    def renew(self) -> bool:
        with self._engine.begin() as connection:
            moved = connection.execute(
                update(JobLock)
                .where(JobLock.name == self.name, JobLock.holder == self.holder)
                .values(expires_at=utcnow() + self.ttl)
            )
        return moved.rowcount == 1

    def release(self) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(JobLock).where(JobLock.name == self.name, JobLock.holder == self.holder))


class RedisLock:
    def __init__(self, name: str, *, settings: Settings) -> None:
        self.name = name
        self._lock = redis_client(settings).lock(
            f"stockcast:lock:{name}", timeout=settings.job_lease_seconds, blocking=False, thread_local=False
        )

    def acquire(self) -> bool:
        return bool(self._lock.acquire(blocking=False))

    def renew(self) -> bool:
        from redis.exceptions import LockError

        try:
            return bool(self._lock.reacquire())
        except LockError:  # lapsed: another holder may have it now
            return False

    def release(self) -> None:
        from redis.exceptions import LockError

        try:
            self._lock.release()
        except LockError:
            # Its lease lapsed (no heartbeat for a lease) and maybe someone else holds it now.
            logger.warning("lock had expired before release", extra={"lock": self.name})


def default_lock_kind(settings: Settings) -> LockKind:
    if settings.redis_url:
        return "redis"
    if settings.database_url.startswith(("postgresql", "postgres://")):
        return "advisory"
    return "row"


def make_lock(name: str, *, settings: Settings, kind: LockKind | None = None) -> Lock:
    """The lock for `name` under these settings (Redis, else the database's own kind)."""
    kind = kind or default_lock_kind(settings)
    scoped = f"{database_scope(settings.database_url)}:{name}"
    if kind == "redis":
        return RedisLock(scoped, settings=settings)
    if kind == "advisory":
        return AdvisoryLock(scoped, database_url=settings.database_url)
    return RowLock(scoped, database_url=settings.database_url, lease_seconds=settings.job_lease_seconds)
