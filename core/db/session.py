"""Units of work for the entry points that own them (CLI, jobs, UI loaders)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings, get_settings
from core.db.engine import make_engine, make_session_factory


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine (and pool) per URL and process."""
    return make_engine(database_url)


def session_factory(settings: Settings | None = None) -> sessionmaker[Session]:
    settings = settings or get_settings()
    return make_session_factory(engine_for(settings.database_url))


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with session_factory(settings)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
