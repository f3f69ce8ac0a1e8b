"""Log-in hardening: pinned JWT algorithm, lockout, audit trail, and no secret in any log line."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.audit import list_audit_events
from core.logs import configure_logging


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(user_id: int) -> dict:
    return {"sub": str(user_id), "exp": int((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).timestamp())}


async def _me_id(api, headers) -> int:
    return (await api.client.get("/api/auth/me", headers=headers)).json()["id"]


async def test_alg_none_token_is_401(api):
    headers = await api.signup()
    user_id = await _me_id(api, headers)
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{_b64(json.dumps(_claims(user_id)).encode())}."
    response = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401


async def test_rs256_token_is_401_even_when_validly_signed(api):
    """Algorithm confusion: a token signed with an RSA key the attacker owns must not pass."""
    headers = await api.signup()
    user_id = await _me_id(api, headers)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = jwt.encode(_claims(user_id), pem, algorithm="RS256")
    response = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_other_hmac_algorithms_with_the_real_secret_are_401(api, settings):
    headers = await api.signup()
    user_id = await _me_id(api, headers)
    token = jwt.encode(_claims(user_id), settings.resolved_jwt_secret(), algorithm="HS512")
    response = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_token_without_expiry_is_401(api, settings):
    headers = await api.signup()
    user_id = await _me_id(api, headers)
    token = jwt.encode({"sub": str(user_id)}, settings.resolved_jwt_secret(), algorithm="HS256")
    response = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_log_ins_and_failures_are_audited(api):
    await api.signup("audited@example.com", password="the-right-one")
    await api.client.post("/api/auth/token", data={"username": "audited@example.com", "password": "wrong-one!"})
    await api.client.post("/api/auth/token", data={"username": "ghost@example.com", "password": "whatever1"})
    events = await api.run(list_audit_events)
    actions = [event.action for event in events]
    assert actions[:3] == ["auth.login_failed", "auth.login_failed", "auth.login"]
    unknown, known = events[0], events[1]
    assert unknown.user_id is None and unknown.detail == {"email": "ghost@example.com"}
    assert known.user_id is not None and known.client_ip
    assert all("wrong-one!" not in json.dumps(event.detail) for event in events)


async def test_lockout_is_audited(api):
    await api.signup("lock@example.com", password="the-right-one")
    for _ in range(6):
        await api.client.post("/api/auth/token", data={"username": "lock@example.com", "password": "wrong-one!"})
    actions = [event.action for event in await api.run(list_audit_events)]
    assert actions[0] == "auth.login_locked"
    locked_failure = (await api.run(list_audit_events, action="auth.login_failed"))[0]
    assert locked_failure.detail == {"locked": True}


async def test_destructive_actions_are_audited(api, settings):
    from core.market.service import load_bundled_prices

    await api.run(load_bundled_prices, settings=settings, tickers=["AAPL"])
    admin = await api.signup()
    victim = await api.client.post("/api/users", json={"email": "victim@example.com", "password": "long-enough-1"})
    victim_id = victim.json()["id"]
    await api.client.put(f"/api/users/{victim_id}", json={"role": "viewer"}, headers=admin)
    holding = await api.client.post(
        "/api/portfolio/stock", json={"ticker": "AAPL", "quantity": 1, "avg_cost": 1.0}, headers=admin
    )
    await api.client.delete(f"/api/portfolio/stock/{holding.json()['id']}", headers=admin)
    await api.client.delete(f"/api/users/{victim_id}", headers=admin)
    events = await api.run(list_audit_events)
    by_action = {event.action: event for event in events}
    assert by_action["user.privileges"].detail == {"role": "viewer"}
    assert by_action["holding.delete"].target == f"holding:{holding.json()['id']}"
    assert by_action["user.delete"].target == f"user:{victim_id}"
    assert by_action["user.delete"].client_ip  # bound by the request middleware, not passed by the service


@pytest.fixture
def json_log():
    """Everything logged, rendered as the production JSON lines, into a buffer."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging(level="DEBUG", json_lines=True)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


async def test_secrets_never_reach_the_logs(api, json_log):
    password = "Sup3r-secret-pa55word"
    await api.client.post("/api/users", json={"email": "quiet@example.com", "password": password})
    await api.client.post("/api/auth/token", data={"username": "quiet@example.com", "password": "not-" + password})
    login = await api.client.post(
        "/api/auth/token",
        data={"username": "quiet@example.com", "password": password},
        headers={"X-Request-ID": "login-trace-1"},
    )
    token = login.json()["access_token"]
    await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}x"})  # a rejected token
    output = json_log.getvalue()
    assert '"route": "/api/auth/token"' in output  # the requests were logged…
    assert "login-trace-1" in output  # …with their request id
    assert password not in output
    assert token not in output and token.split(".")[2] not in output
    for line in output.splitlines():
        json.loads(line)  # every line is one JSON object
