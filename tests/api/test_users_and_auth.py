"""Accounts over the real API: sign-up, tokens, roles, management and bad input."""

from __future__ import annotations

import datetime as dt
import time

import jwt
import pytest

from core.audit import list_audit_events
from core.auth.tokens import ALGORITHM


async def test_first_user_is_admin_then_analysts(api):
    first = await api.client.post("/api/users", json={"email": "Boss@Example.com", "password": "long-enough-1"})
    second = await api.client.post("/api/users", json={"email": "ana@example.com", "password": "long-enough-1"})
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["role"] == "admin"
    assert first.json()["email"] == "boss@example.com"
    assert second.json()["role"] == "analyst"
    assert "hashed_password" not in first.json() and "password" not in first.json()
    # The event the dashboard's sign-up records too (tests/ui/test_home_and_login.py).
    events = await api.run(lambda s: list_audit_events(s, action="user.create"))
    signed_up = {(e.target, e.detail["role"], e.detail["signup"]) for e in events}
    first_id, second_id = first.json()["id"], second.json()["id"]
    assert signed_up == {(f"user:{first_id}", "admin", True), (f"user:{second_id}", "analyst", True)}


async def test_token_and_me(api):
    headers = await api.signup("me@example.com")
    me = await api.client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "me@example.com"


async def test_wrong_password_is_401(api):
    await api.signup("who@example.com")
    response = await api.client.post("/api/auth/token", data={"username": "who@example.com", "password": "nope-nope"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}],
    ids=["no-token", "garbage-token", "wrong-scheme"],
)
async def test_protected_routes_need_a_valid_token(api, headers):
    response = await api.client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401


async def test_expired_and_forged_tokens_are_401(api, settings):
    await api.signup("exp@example.com")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    expired = jwt.encode({"sub": "1", "exp": past}, settings.resolved_jwt_secret(), algorithm=ALGORITHM)
    forged = jwt.encode({"sub": "1", "exp": past + dt.timedelta(days=1)}, "another-secret-" * 4, algorithm=ALGORITHM)
    for token in (expired, forged):
        response = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_a_token_accepted_before_is_refused_once_it_expires(api, monkeypatch):
    """Verified tokens are remembered per process; their expiry is checked on every use."""
    headers = await api.signup()
    assert (await api.client.get("/api/auth/me", headers=headers)).status_code == 200
    later = time.time() + 60 * 60 * 24 * 30  # past any JWT_EXPIRE_MINUTES
    monkeypatch.setattr("core.auth.tokens.time.time", lambda: later)
    refused = await api.client.get("/api/auth/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["detail"] == "token has expired"


async def test_repeated_failures_lock_the_account(api):
    await api.signup("locked@example.com", password="the-right-one")
    statuses = [
        (
            await api.client.post("/api/auth/token", data={"username": "locked@example.com", "password": "wrong-one!"})
        ).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    locked = await api.client.post(
        "/api/auth/token", data={"username": "locked@example.com", "password": "the-right-one"}
    )
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": "long-enough-1"}, "email"),
        ({"email": "short@example.com", "password": "short"}, "password"),
        ({"password": "long-enough-1"}, "email"),
    ],
)
async def test_sign_up_validation_names_the_field(api, payload, field):
    response = await api.client.post("/api/users", json=payload)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


async def test_duplicate_email_is_409_and_writes_nothing(api):
    await api.signup("dup@example.com")
    again = await api.client.post("/api/users", json={"email": "DUP@example.com", "password": "long-enough-1"})
    assert again.status_code == 409
    admin = await api.login("dup@example.com", "correct-horse-1")
    listing = await api.client.get("/api/users", headers=admin)
    assert listing.json()["total"] == 1


async def test_admin_manages_users_analyst_only_themself(api):
    admin = await api.signup("admin@example.com")
    analyst = await api.signup("analyst@example.com")
    other = await api.client.post("/api/users", json={"email": "other@example.com", "password": "long-enough-1"})
    other_id = other.json()["id"]
    me = (await api.client.get("/api/auth/me", headers=analyst)).json()

    assert (await api.client.get("/api/users", headers=admin)).json()["total"] == 3
    assert (await api.client.get("/api/users", headers=analyst)).json()["total"] == 1
    assert (await api.client.get(f"/api/users/{other_id}", headers=analyst)).status_code == 404
    assert (await api.client.put(f"/api/users/{other_id}", json={"full_name": "x"}, headers=analyst)).status_code == 404
    assert (await api.client.delete(f"/api/users/{other_id}", headers=analyst)).status_code == 404

    renamed = await api.client.put(f"/api/users/{me['id']}", json={"full_name": "Ana Lyst"}, headers=analyst)
    assert renamed.status_code == 200 and renamed.json()["full_name"] == "Ana Lyst"
    promote_self = await api.client.put(f"/api/users/{me['id']}", json={"role": "admin"}, headers=analyst)
    assert promote_self.status_code == 403

    promoted = await api.client.put(f"/api/users/{other_id}", json={"role": "viewer"}, headers=admin)
    assert promoted.json()["role"] == "viewer"
    assert (await api.client.delete(f"/api/users/{other_id}", headers=admin)).status_code == 204
    assert (await api.client.get(f"/api/users/{other_id}", headers=admin)).status_code == 404


async def test_closed_sign_up_is_admin_only(api):
    admin = await api.signup("first@example.com")
    api.client._transport.app.state.settings = api.client._transport.app.state.settings.model_copy(
        update={"allow_signup": False}
    )
    anonymous = await api.client.post("/api/users", json={"email": "x@example.com", "password": "long-enough-1"})
    assert anonymous.status_code == 403
    by_admin = await api.client.post(
        "/api/users", json={"email": "x@example.com", "password": "long-enough-1", "role": "viewer"}, headers=admin
    )
    assert by_admin.status_code == 201 and by_admin.json()["role"] == "viewer"


async def test_ping(api):
    response = await api.client.get("/ping")
    assert response.json() == {"ping": "pong"}
