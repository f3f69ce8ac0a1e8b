"""The migrations and the ORM agree, and downgrade → upgrade round-trips, on each backend."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from core.db.engine import make_engine, sync_url
from core.db.migrate import alembic_config, downgrade_to, upgrade_to_head
from core.db.tables import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request, tmp_path):
    """An empty database of its own, so downgrading does not disturb other tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sync_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = sync_url(base).rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(scratch_url):
    upgrade_to_head(scratch_url)
    assert _diff(scratch_url) == []
    command.check(alembic_config(scratch_url))  # raises if autogenerate would emit anything


def test_downgrade_then_upgrade_round_trips(scratch_url):
    upgrade_to_head(scratch_url)
    downgrade_to(scratch_url, "base")
    engine = make_engine(scratch_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade_to_head(scratch_url)
    assert _diff(scratch_url) == []
    engine = make_engine(scratch_url)
    try:
        assert {"user", "stock", "price", "prediction_history", "chat_history"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()
