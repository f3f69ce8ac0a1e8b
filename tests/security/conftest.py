"""Helpers for the hardening tests: the app behind the `api` harness, users per role, and the
live app on a database of its own (`live_api`: real commits, for what must survive a failed
request)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.auth.tokens import create_access_token
from core.config import Settings
from core.db.engine import sync_url
from core.db.migrate import upgrade_to_head
from core.db.session import engine_for
from core.db.tables import Role, User
from tests.factories import make_user

ROLES = ("admin", "analyst", "viewer", "anonymous")


def app_of(api):
    """The FastAPI app the harness drives (its settings may be swapped per test)."""
    return api.client._transport.app


def change_settings(api, **changes) -> None:
    app = app_of(api)
    app.state.settings = app.state.settings.model_copy(update=changes)


@dataclass(frozen=True)
class Person:
    """A user as plain values: ORM objects expire when a request rolls back."""

    id: int
    email: str
    role: Role


def bearer(settings, user: Person | User) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(settings, user_id=user.id, role=user.role.value)}"}


async def make_person(api, role: Role) -> Person:
    def make(session):
        user = make_user(session, role=role)
        return Person(user.id, user.email, user.role)

    return await api.run(make)


@pytest.fixture
async def users(api) -> dict[str, Person]:
    """One user per role, plus `other`: an analyst owning things the others must not reach."""
    return {
        "admin": await make_person(api, Role.ADMIN),
        "analyst": await make_person(api, Role.ANALYST),
        "viewer": await make_person(api, Role.VIEWER),
        "other": await make_person(api, Role.ANALYST),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def own_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of this module's own: the live app below commits for real."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('own-db') / 'stockcast.db'}"
        upgrade_to_head(url)
        yield url
        return
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if not server_url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    name = f"stockcast_own_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sync_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(sync_url(server_url)).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    engine_for(url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass(frozen=True)
class LiveApi:
    """The real app with its real units of work (nothing overridden), over httpx."""

    client: httpx.AsyncClient
    settings: Settings


@pytest.fixture
async def live_api(own_database_url: str, tmp_path) -> AsyncIterator[LiveApi]:
    from api.main import create_app

    settings = Settings(
        database_url=own_database_url,
        data_dir=tmp_path,
        jwt_secret=os.environ["JWT_SECRET"],
        migrate_on_start=False,
        offline=True,
        rate_limit_enabled=False,
        _env_file=None,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield LiveApi(client, settings)
