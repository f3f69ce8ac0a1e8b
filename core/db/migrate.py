"""Run Alembic migrations from code: the app migrates on start instead of create_all."""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config

from core.config import REPO_ROOT

logger = logging.getLogger(__name__)


def alembic_config(database_url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade_to_head(database_url: str) -> None:
    logger.info("applying database migrations")
    command.upgrade(alembic_config(database_url), "head")


def downgrade_to(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


NOT_MIGRATED = "database not migrated: run `python -m core migrate`"


def is_at_head(database_url: str) -> bool:
    """Whether the database's schema is at the newest revision (False for an empty one)."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    from core.db.session import engine_for

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    with engine_for(database_url).connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return current == heads


def ensure_schema(database_url: str, *, migrate: bool) -> None:
    """Bring the schema to the newest revision first (`migrate`), or refuse naming the fix."""
    from core.errors import ServiceUnavailableError

    if is_at_head(database_url):
        return
    if not migrate:
        raise ServiceUnavailableError(NOT_MIGRATED)
    upgrade_to_head(database_url)
