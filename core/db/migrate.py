"""Run Alembic migrations from code: the app migrates on start instead of create_all.

Several processes may start together (API workers, dashboard, scheduler, a Celery worker):
`upgrade_to_head` takes an inter-process lock first — a file lock beside a SQLite database, a
PostgreSQL advisory lock otherwise — so exactly one of them migrates and the others find the
schema at head.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.config import REPO_ROOT
from core.db.engine import make_engine, sync_url
from core.db.session import engine_for
from core.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)


def alembic_config(database_url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


MIGRATION_LOCK_KEY = 0x5C0CA57  # any fixed 64-bit number: the advisory lock of migrations


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Held by one process at a time per database, for as long as the block runs."""
    url = make_url(sync_url(database_url))
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            yield
            return
        path = Path(url.database).with_name(Path(url.database).name + ".migrate.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process dies
            yield
        return
    engine = make_engine(database_url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    finally:
        engine.dispose()


def upgrade_to_head(database_url: str) -> None:
    with migration_lock(database_url):
        logger.info("applying database migrations")
        command.upgrade(alembic_config(database_url), "head")


def downgrade_to(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


NOT_MIGRATED = "database not migrated: run `python -m core migrate`"


def is_at_head(database_url: str) -> bool:
    """Whether the database's schema is at the newest revision (False for an empty one)."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    with engine_for(database_url).connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return current == heads


def ensure_schema(database_url: str, *, migrate: bool) -> None:
    """Bring the schema to the newest revision first (`migrate`), or refuse naming the fix."""

    if is_at_head(database_url):
        return
    if not migrate:
        raise ServiceUnavailableError(NOT_MIGRATED)
    upgrade_to_head(database_url)
