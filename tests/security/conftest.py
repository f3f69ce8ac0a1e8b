"""Helpers for the hardening tests: the app behind the `api` harness, and users per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.auth.tokens import create_access_token
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
