"""DATABASE_URL may name a driver or not: the sync and async forms are derived from either."""

from __future__ import annotations

import pytest

from core.db.engine import async_url, sync_url


@pytest.mark.parametrize(
    ("given", "sync", "asynchronous"),
    [
        ("sqlite:///var/app.db", "sqlite+pysqlite:///var/app.db", "sqlite+aiosqlite:///var/app.db"),
        ("sqlite+aiosqlite:///var/app.db", "sqlite+pysqlite:///var/app.db", "sqlite+aiosqlite:///var/app.db"),
        ("postgresql://u:p@db:5432/x", "postgresql+psycopg://u:p@db:5432/x", "postgresql+asyncpg://u:p@db:5432/x"),
        ("postgresql+asyncpg://u@db/x", "postgresql+psycopg://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("postgres://u@db/x", "postgresql+psycopg://u@db/x", "postgresql+asyncpg://u@db/x"),
    ],
)
def test_sync_and_async_forms(given, sync, asynchronous):
    assert sync_url(given) == sync
    assert async_url(given) == asynchronous


def test_unsupported_backend_is_named():
    with pytest.raises(ValueError, match="mysql"):
        sync_url("mysql://u@db/x")
