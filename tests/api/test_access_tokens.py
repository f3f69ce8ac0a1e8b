"""Personal access tokens over the API: shown once, stored hashed, scoped, expiring, revocable,
isolated per user, and audited on every use."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from core.audit import list_audit_events
from core.db.tables import PersonalAccessToken

TOKENS = "/api/users/me/tokens"


async def _create(api, headers, **body) -> dict:
    response = await api.client.post(TOKENS, json={"name": "script", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_a_token_is_shown_once_and_stored_only_as_its_hash(api):
    headers = await api.signup()
    created = await _create(api, headers, scopes=["read"], expires_in_days=30)
    secret = created["token"]
    assert secret.startswith("sc_pat_") and len(secret) >= 40
    assert created["scopes"] == ["read"] and created["status"] == "active"
    assert secret.startswith(created["token_prefix"]) and len(created["token_prefix"]) < 16
    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert abs((expires - dt.datetime.now(dt.UTC)) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)

    listed = (await api.client.get(TOKENS, headers=headers)).json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and secret not in str(listed)
    row = await api.run(lambda s: s.scalar(select(PersonalAccessToken).where(PersonalAccessToken.id == created["id"])))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.token_hash, row.token_prefix, row.name)


async def test_write_scope_implies_read_and_bad_input_names_the_field(api):
    headers = await api.signup()
    assert (await _create(api, headers, scopes=["write"]))["scopes"] == ["read", "write"]
    bad = await api.client.post(TOKENS, json={"name": "x", "expires_in_days": 400}, headers=headers)
    assert bad.status_code == 422 and "expires_in_days" in bad.text
    blank = await api.client.post(TOKENS, json={"name": "   "}, headers=headers)
    assert blank.status_code == 422 and "name" in blank.text


async def test_a_token_acts_as_its_user_only(api, api_prices):
    await api_prices("AAPL", "MSFT")
    alice = await api.signup("alice-pat@example.com")
    bob = await api.signup("bob-pat@example.com")
    await api.client.post("/api/portfolio/stock", json={"ticker": "AAPL", "quantity": 5, "avg_cost": 30}, headers=alice)
    await api.client.post("/api/portfolio/stock", json={"ticker": "MSFT", "quantity": 2, "avg_cost": 40}, headers=bob)
    alice_token = _bearer((await _create(api, alice))["token"])
    bob_token = _bearer((await _create(api, bob))["token"])

    alice_view = (await api.client.get("/api/portfolio", headers=alice_token)).json()
    bob_view = (await api.client.get("/api/portfolio", headers=bob_token)).json()
    assert [item["ticker"] for item in alice_view["items"]] == ["AAPL"]
    assert [item["ticker"] for item in bob_view["items"]] == ["MSFT"]
    me = (await api.client.get("/api/auth/me", headers=alice_token)).json()
    assert me["email"] == "alice-pat@example.com"


async def test_a_read_token_cannot_change_anything_and_a_write_token_can(api, api_prices):
    await api_prices("AAPL")
    headers = await api.signup()
    read = _bearer((await _create(api, headers, scopes=["read"]))["token"])
    write = _bearer((await _create(api, headers, scopes=["read", "write"]))["token"])
    body = {"ticker": "AAPL", "quantity": 5, "avg_cost": 30}
    refused = await api.client.post("/api/portfolio/stock", json=body, headers=read)
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    assert (await api.client.post("/api/portfolio/stock", json=body, headers=write)).status_code == 201
    assert (await api.client.get("/api/portfolio", headers=read)).json()["total"] == 1
    # Asking the chat changes nothing of the portfolio: a read token may (as over MCP).
    asked = await api.client.post("/api/chat", json={"message": "what do I hold?"}, headers=read)
    assert asked.status_code == 200, asked.text


async def test_revoked_and_expired_tokens_are_refused(api):
    headers = await api.signup()
    revoked = await _create(api, headers)
    expired = await _create(api, headers)
    assert (await api.client.get("/api/portfolio", headers=_bearer(revoked["token"]))).status_code == 200

    answer = await api.client.delete(f"{TOKENS}/{revoked['id']}", headers=headers)
    assert answer.status_code == 200 and answer.json()["status"] == "revoked"
    refused = await api.client.get("/api/portfolio", headers=_bearer(revoked["token"]))
    assert refused.status_code == 401 and refused.json()["detail"] == "this access token has been revoked"

    def expire(session):
        session.get(PersonalAccessToken, expired["id"]).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.flush()

    await api.run(expire)
    await api.db.commit()  # a refused request rolls its unit of work back; keep the expiry
    refused = await api.client.get("/api/portfolio", headers=_bearer(expired["token"]))
    assert refused.status_code == 401 and refused.json()["detail"] == "this access token has expired"
    statuses = {t["id"]: t["status"] for t in (await api.client.get(TOKENS, headers=headers)).json()}
    assert statuses == {revoked["id"]: "revoked", expired["id"]: "expired"}
    wrong = await api.client.get("/api/portfolio", headers=_bearer("sc_pat_" + "x" * 43))
    assert wrong.status_code == 401


async def test_tokens_cannot_manage_tokens_nor_touch_another_users(api):
    alice = await api.signup()
    bob = await api.signup()
    alice_token = await _create(api, alice, scopes=["read", "write"])
    as_token = _bearer(alice_token["token"])
    assert (await api.client.post(TOKENS, json={"name": "more"}, headers=as_token)).status_code == 403
    assert (await api.client.get(TOKENS, headers=as_token)).status_code == 403
    assert (await api.client.delete(f"{TOKENS}/{alice_token['id']}", headers=bob)).status_code == 404
    assert (await api.client.get(TOKENS, headers=bob)).json() == []
    assert (await api.client.get("/api/portfolio", headers=as_token)).status_code == 200


async def test_each_use_is_audited_with_the_token_and_never_the_secret(api):
    headers = await api.signup()
    created = await _create(api, headers)
    await api.client.get("/api/portfolio", headers=_bearer(created["token"]))
    events = await api.run(lambda s: list_audit_events(s, action="token.use"))
    mine = [e for e in events if e.target == f"token:{created['id']}"]
    assert len(mine) == 1
    assert mine[0].detail == {"via": "api", "method": "GET", "path": "/api/portfolio"}
    creations = await api.run(lambda s: list_audit_events(s, action="token.create"))
    assert any(e.target == f"token:{created['id']}" for e in creations)
    assert all(created["token"] not in str(e.detail) for e in events + creations)
    listed = (await api.client.get(TOKENS, headers=headers)).json()
    assert listed[0]["last_used_at"] is not None
