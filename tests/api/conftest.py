"""Fixtures of the API tests: shared market data, and databases of their own for the runner's
tests (the runner commits, which the shared rolled-back database must not see)."""

from __future__ import annotations

import os

import pytest

from core.config import Settings
from core.db.migrate import upgrade_to_head
from core.db.session import engine_for
from tests.durability.servers import fresh_postgres_database
from tests.market.conftest import api_prices, load_prices  # noqa: F401 - shared fixtures


@pytest.fixture
def own_database(tmp_path) -> Settings:
    """A database of its own: the runner commits, which the shared rolled-back one must not see."""
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade_to_head(url)
    return Settings(database_url=url, data_dir=tmp_path, migrate_on_start=False, _env_file=None)


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database_on_each(request: pytest.FixtureRequest, tmp_path) -> Settings:
    """A migrated database of its own on each backend: the runner commits."""
    if request.param == "sqlite":
        yield request.getfixturevalue("own_database")
        return
    admin_url = os.environ.get("TEST_DATABASE_URL", "")
    if not admin_url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with fresh_postgres_database(admin_url) as url:
        upgrade_to_head(url)
        yield Settings(database_url=url, data_dir=tmp_path, migrate_on_start=False, _env_file=None)
        engine_for(url).dispose()
