"""What a credential can do follows the user's account as it is now: a viewer gets no write
token, a token's scopes are capped by the current role, and a password, role or activation
change ends every log-in JWT issued before it (issue 21)."""

from __future__ import annotations

import uuid

from core.audit import list_audit_events
from core.db.tables import Role
from core.market.service import load_bundled_prices
from tests.factories import DEFAULT_PASSWORD
from tests.security.conftest import bearer

TOKENS = "/api/users/me/tokens"
HOLDING = {"ticker": "AAPL", "quantity": 1, "avg_cost": 100.0}


async def _set_role(api, admin, user_id: int, role: str) -> None:
    response = await api.client.put(f"/api/users/{user_id}", json={"role": role}, headers=admin)
    assert response.status_code == 200, response.text


async def test_a_viewer_cannot_create_a_write_token(api, settings, users):
    await api.db.commit()  # a refused request rolls back what its unit of work holds: keep the users
    viewer = bearer(settings, users["viewer"])
    refused = await api.client.post(TOKENS, json={"name": "script", "scopes": ["write"]}, headers=viewer)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("a viewer's token cannot have the 'write' scope")
    created = await api.client.post(TOKENS, json={"name": "script", "scopes": ["read"]}, headers=viewer)
    assert created.status_code == 201 and created.json()["scopes"] == ["read"]
    [denied] = await api.run(list_audit_events, action="access.denied", user_id=users["viewer"].id)
    assert denied.detail["path"] == TOKENS and "'write' scope" in denied.detail["reason"]


async def test_a_demoted_users_write_token_stops_writing_and_reading_goes_on(api, settings, users):
    await api.run(load_bundled_prices, settings=settings, tickers=["AAPL"])
    await api.db.commit()  # a refused request rolls back what its unit of work holds: keep the setup
    analyst, admin = users["analyst"], bearer(settings, users["admin"])
    created = await api.client.post(
        TOKENS, json={"name": "script", "scopes": ["read", "write"]}, headers=bearer(settings, analyst)
    )
    token = {"Authorization": f"Bearer {created.json()['token']}"}
    assert (await api.client.post("/api/portfolio/stock", json=HOLDING, headers=token)).status_code == 201

    await _set_role(api, admin, analyst.id, "viewer")
    refused = await api.client.post("/api/portfolio/stock", json=HOLDING | {"ticker": "MSFT"}, headers=token)
    assert refused.status_code == 403
    assert (
        refused.json()["detail"]
        == "this access token's 'write' scope is capped by your role: viewers have read-only access"
    )
    assert (await api.client.get("/api/portfolio", headers=token)).json()["total"] == 1  # reading goes on
    [event] = await api.run(list_audit_events, action="token.refused", user_id=analyst.id)
    assert event.detail["reason"] == refused.json()["detail"] and event.target == f"token:{created.json()['id']}"

    await _set_role(api, admin, analyst.id, "analyst")  # the cap follows the role both ways
    assert (
        await api.client.delete(f"/api/portfolio/stock/{(await _holding_id(api, token))}", headers=token)
    ).status_code == 204


async def _holding_id(api, headers) -> int:
    return (await api.client.get("/api/portfolio", headers=headers)).json()["items"][0]["id"]


async def test_a_password_change_ends_every_earlier_log_in(api):
    email, password = f"pw-{uuid.uuid4().hex[:8]}@example.com", "first-password-1"
    await api.signup("first-admin@example.com")  # so that this user is an analyst
    laptop = await api.signup(email, password)
    phone = await api.login(email, password)
    me = (await api.client.get("/api/auth/me", headers=laptop)).json()
    changed = await api.client.put(f"/api/users/{me['id']}", json={"password": "second-password-2"}, headers=laptop)
    assert changed.status_code == 200
    for old in (laptop, phone):
        refused = await api.client.get("/api/auth/me", headers=old)
        assert refused.status_code == 401 and "log in again" in refused.json()["detail"]
    assert (await api.client.post("/api/auth/token", data={"username": email, "password": password})).status_code == 401
    fresh = await api.login(email, "second-password-2")
    assert (await api.client.get("/api/auth/me", headers=fresh)).json()["id"] == me["id"]


async def test_a_role_change_or_deactivation_ends_log_ins_and_a_name_change_does_not(api, settings, users):
    analyst, admin = users["analyst"], bearer(settings, users["admin"])
    session_token = await api.login(analyst.email, DEFAULT_PASSWORD)
    renamed = await api.client.put(f"/api/users/{analyst.id}", json={"full_name": "A. Nalyst"}, headers=session_token)
    assert renamed.status_code == 200
    assert (await api.client.get("/api/auth/me", headers=session_token)).status_code == 200  # unchanged access

    await _set_role(api, admin, analyst.id, Role.VIEWER.value)
    assert (await api.client.get("/api/auth/me", headers=session_token)).status_code == 401
    session_token = await api.login(analyst.email, DEFAULT_PASSWORD)
    assert (await api.client.get("/api/auth/me", headers=session_token)).json()["role"] == "viewer"

    off = await api.client.put(f"/api/users/{analyst.id}", json={"is_active": False}, headers=admin)
    assert off.status_code == 200
    assert (await api.client.get("/api/auth/me", headers=session_token)).status_code == 401
