"""Every refusal is audited, in a unit of work of its own that commits although the request
fails: a personal access token refused (`token.refused`, with the reason, never the secret) and
a permission refused on a route (`access.denied`), once each. On the live app: real commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from core.audit import list_audit_events
from core.auth.access_token_schemas import AccessTokenCreate, TokenScope
from core.auth.access_tokens import create_personal_token, revoke_personal_token
from core.db.session import session_scope
from core.db.tables import AuditEvent, PersonalAccessToken, Role, User
from tests.factories import make_user
from tests.security.conftest import bearer

UNKNOWN_SECRET = "sc_pat_" + "x" * 43
HOLDING = {"ticker": "AAPL", "quantity": 1, "avg_cost": 1.0}


@dataclass(frozen=True)
class Issued:
    user_id: int
    token_id: int
    secret: str


def _issue(session, user, *scopes: TokenScope) -> Issued:
    created = create_personal_token(session, user=user, data=AccessTokenCreate(name="script", scopes=list(scopes)))
    return Issued(user.id, created.id, created.token)


def _events(settings, action: str) -> list[AuditEvent]:
    with session_scope(settings) as session:
        return list_audit_events(session, action=action, limit=1000)


def _count(settings, action: str) -> int:
    with session_scope(settings) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


async def test_every_kind_of_token_refusal_is_audited_and_kept(live_api):
    settings = live_api.settings
    with session_scope(settings) as session:
        owner = make_user(session, role=Role.ANALYST)
        read = _issue(session, owner, TokenScope.READ)
        revoked = _issue(session, owner, TokenScope.READ)
        revoke_personal_token(session, user=owner, token_id=revoked.token_id)
        expired = _issue(session, owner, TokenScope.READ)
        session.get(PersonalAccessToken, expired.token_id).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(1)
        leaver = make_user(session, role=Role.ANALYST)
        deactivated = _issue(session, leaver, TokenScope.READ, TokenScope.WRITE)
        leaver.is_active = False
    denied_before = _count(settings, "access.denied")
    cases = [
        (UNKNOWN_SECRET, None, "GET", 401, "invalid access token"),
        (revoked.secret, revoked, "GET", 401, "this access token has been revoked"),
        (expired.secret, expired, "GET", 401, "this access token has expired"),
        (read.secret, read, "POST", 403, "this access token lacks the 'write' scope"),
        (deactivated.secret, deactivated, "GET", 401, "this account is deactivated"),
    ]
    for secret, issued, method, status, reason in cases:
        path, json = ("/api/portfolio/stock", HOLDING) if method == "POST" else ("/api/portfolio", None)
        headers = {"Authorization": f"Bearer {secret}"}
        response = await live_api.client.request(method, path, json=json, headers=headers)
        assert (response.status_code, response.json()["detail"]) == (status, reason)
        event = _events(settings, "token.refused")[0]  # committed: read back in a new unit of work
        assert event.detail == {"via": "api", "method": method, "path": path, "reason": reason}
        assert event.user_id == (issued.user_id if issued else None)
        assert event.target == (f"token:{issued.token_id}" if issued else None)
        assert event.client_ip == "127.0.0.1"
    refused = _events(settings, "token.refused")
    assert len(refused) == len(cases)
    assert not any(secret in repr(e.detail) + str(e.target) for e in refused for secret, *_ in cases)
    assert _count(settings, "access.denied") == denied_before  # the scope refusal is recorded once
    with session_scope(settings) as session:
        owned = session.scalars(select(User).where(User.id == owner.id)).one().holdings
        assert owned == []  # the refused write left nothing behind


async def test_a_permission_refusal_on_a_route_is_audited_once_with_who_and_why(live_api):
    settings = live_api.settings
    with session_scope(settings) as session:
        viewer = make_user(session, role=Role.VIEWER)
        analyst = make_user(session, role=Role.ANALYST)
        viewer_id, analyst_id = viewer.id, analyst.id
    as_viewer = bearer(settings, viewer)
    response = await live_api.client.post("/api/portfolio/stock", json=HOLDING, headers=as_viewer)
    assert response.status_code == 403
    [event] = [e for e in _events(settings, "access.denied") if e.user_id == viewer_id]
    assert event.detail == {"method": "POST", "path": "/api/portfolio/stock", "reason": response.json()["detail"]}
    assert "read-only" in event.detail["reason"]

    # An analyst making themselves admin: refused, the role unchanged, the attempt on record.
    response = await live_api.client.put(
        f"/api/users/{analyst_id}", json={"role": "admin"}, headers=bearer(settings, analyst)
    )
    assert response.status_code == 403
    [event] = [e for e in _events(settings, "access.denied") if e.user_id == analyst_id]
    assert event.detail["path"] == f"/api/users/{analyst_id}" and "admin role" in event.detail["reason"]
    with session_scope(settings) as session:
        assert session.get(User, analyst_id).role == Role.ANALYST
        assert list_audit_events(session, action="user.privileges", user_id=analyst_id) == []
