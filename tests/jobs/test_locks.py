"""Each lock kind excludes a second holder, frees on release, and recovers from a dead holder."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import delete

from core.db.session import engine_for
from core.db.tables import JobLock, utcnow
from core.jobs.locks import advisory_key, make_lock


def lock_name() -> str:
    return f"test-lock-{uuid.uuid4().hex[:8]}"


def assert_exclusive(first, second) -> None:
    assert first.acquire()
    try:
        assert not second.acquire(), "a second holder got a held lock"
    finally:
        first.release()
    assert second.acquire(), "the lock was not freed on release"
    second.release()


def test_row_lock_excludes_and_frees(settings):
    name = lock_name()
    assert_exclusive(make_lock(name, settings=settings, kind="row"), make_lock(name, settings=settings, kind="row"))


def test_row_lock_takes_over_an_expired_holder(settings):
    name = lock_name()
    lock = make_lock(name, settings=settings, kind="row")
    past = utcnow() - dt.timedelta(hours=1)
    with engine_for(settings.database_url).begin() as connection:
        connection.execute(
            JobLock.__table__.insert().values(
                name=lock.name, holder="crashed:1", acquired_at=past, expires_at=past + dt.timedelta(minutes=1)
            )
        )
    try:
        assert lock.acquire(), "an expired lock row must not block forever"
        lock.release()
    finally:
        with engine_for(settings.database_url).begin() as connection:
            connection.execute(delete(JobLock).where(JobLock.name == lock.name))


def test_advisory_lock_excludes_and_frees(settings):
    if not settings.database_url.startswith("postgres"):
        pytest.skip("advisory locks are PostgreSQL's")
    name = lock_name()
    assert_exclusive(
        make_lock(name, settings=settings, kind="advisory"), make_lock(name, settings=settings, kind="advisory")
    )


def test_advisory_keys_are_stable_64_bit():
    assert advisory_key("retrain") == advisory_key("retrain") != advisory_key("refresh_prices")
    assert -(2**63) <= advisory_key("retrain") < 2**63


def test_redis_lock_excludes_and_frees(settings, redis_url):
    redis_settings = settings.model_copy(update={"redis_url": redis_url})
    name = lock_name()
    first, second = make_lock(name, settings=redis_settings), make_lock(name, settings=redis_settings)
    assert type(first).__name__ == "RedisLock"
    assert_exclusive(first, second)
