"""Fixtures for the user-task tests: a committed database per backend (tasks run in their
own units of work, which a test's rolled-back transaction would hide), with AAPL, MSFT and KO
prices, and two instances of the real app on it, standing for two API worker processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.main import create_app
from core.auth.tokens import create_access_token
from core.config import Settings
from core.db.engine import sync_url
from core.db.migrate import upgrade_to_head
from core.db.session import engine_for, session_scope
from core.db.tables import Role
from core.market.service import load_bundled_prices
from tests.factories import make_holding, make_user

TICKERS = ["AAPL", "MSFT", "KO"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def task_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A migrated database of this module's own, with prices; quick heartbeats and a short lease
    so that a dead task is failed within seconds."""
    directory: Path = tmp_path_factory.mktemp(f"tasks-{request.param}")
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'stockcast.db'}"
    else:
        server_url = os.environ.get("TEST_DATABASE_URL", "")
        if not server_url:
            pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
        name = f"stockcast_tasks_{uuid.uuid4().hex[:8]}"
        admin = create_engine(sync_url(server_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(sync_url(server_url)).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    settings = Settings(
        database_url=url,
        data_dir=directory,
        jwt_secret=os.environ["JWT_SECRET"],
        migrate_on_start=False,
        offline=True,
        rate_limit_enabled=False,
        job_heartbeat_seconds=0.5,
        job_lease_seconds=2,
        _env_file=None,
    )
    with session_scope(settings) as session:
        load_bundled_prices(session, settings=settings, tickers=TICKERS)
    yield settings
    engine_for(url).dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Person:
    id: int
    headers: dict[str, str]


def commit_person(settings: Settings, *, role: Role = Role.ANALYST, holdings: dict[str, float] | None = None) -> Person:
    with session_scope(settings) as session:
        user = make_user(session, role=Role.ANALYST)
        for ticker, quantity in (holdings or {}).items():
            make_holding(session, owner=user, ticker=ticker, quantity=quantity, avg_cost=50.0)
        user.role = role
        token = create_access_token(settings, user_id=user.id, role=role.value)
        return Person(user.id, {"Authorization": f"Bearer {token}"})


@dataclass(frozen=True)
class TwoProcesses:
    """Two instances of the app on one database, each with its own task pool and beat: a task
    started on `first` is polled on `second`, as API_WORKERS processes would."""

    first: httpx.AsyncClient
    second: httpx.AsyncClient
    settings: Settings


@pytest.fixture
async def apps(task_settings: Settings) -> AsyncIterator[TwoProcesses]:
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            app = create_app(task_settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients.append(await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://t")))
        yield TwoProcesses(*clients, settings=task_settings)
