"""Dashboard sessions: a log-in that survives a refresh, revocable from the server.

The flow (the browser never sees anything it could use in JavaScript):

1. the dashboard checks the password and calls `start_session`: a `dashboard_session` row
   with a one-time *ticket* (valid `TICKET_LIFETIME`), returned once in clear;
2. the browser is sent to the dashboard server's hand-over route with the ticket, which calls
   `redeem_ticket`: the ticket is spent and a random session token is issued, signed with the
   deployment's secret (`sign_token`), for the route to set as an HttpOnly cookie;
3. on every new connection (a refresh, a new tab) the dashboard reads the cookie and calls
   `resolve_cookie`: a forged signature, an unknown, expired or revoked session, or an
   inactive user gives None.

Only SHA-256 hashes of tickets and tokens are stored, so a copy of the table opens no account.
`revoke_session` ends one log-in (log-out); `revoke_user_sessions` ends all of a user's
(password, role or access changed: `core.auth.service.update_user`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.tables import DashboardSession, User, utcnow
from core.errors import AuthenticationError

TICKET_LIFETIME = dt.timedelta(minutes=2)
_SIGNING_CONTEXT = b"stockcast dashboard session"


@dataclass(frozen=True)
class SessionStart:
    session_id: int
    ticket: str  # shown once: the browser trades it for the cookie
    expires_at: dt.datetime


@dataclass(frozen=True)
class IssuedCookie:
    session_id: int
    value: str  # token.signature
    max_age_seconds: int


def _digest(secret_text: str) -> str:
    return hashlib.sha256(secret_text.encode()).hexdigest()


def _signing_key(settings: Settings) -> bytes:
    # Derived, so a session cookie's MAC can never double as a JWT signature.
    return hmac.new(settings.resolved_jwt_secret().encode(), _SIGNING_CONTEXT, hashlib.sha256).digest()


def sign_token(settings: Settings, token: str) -> str:
    mac = hmac.new(_signing_key(settings), token.encode(), hashlib.sha256).hexdigest()
    return f"{token}.{mac}"


def unsign_cookie(settings: Settings, value: str | None) -> str | None:
    """The token inside a cookie value, or None when the signature does not match."""
    if not value or "." not in value:
        return None
    token, _, mac = value.rpartition(".")
    expected = hmac.new(_signing_key(settings), token.encode(), hashlib.sha256).hexdigest()
    return token if token and hmac.compare_digest(mac, expected) else None


def start_session(session: Session, *, settings: Settings, user: User) -> SessionStart:
    """A new session for a user who has just proved their password (not yet bound to a cookie)."""
    now = utcnow()
    ticket = secrets.token_urlsafe(32)
    row = DashboardSession(
        user_id=user.id,
        ticket_hash=_digest(ticket),
        ticket_expires_at=now + TICKET_LIFETIME,
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.dashboard_session_hours),
    )
    session.add(row)
    session.flush()
    return SessionStart(session_id=row.id, ticket=ticket, expires_at=row.expires_at)


def redeem_ticket(session: Session, *, settings: Settings, ticket: str) -> IssuedCookie:
    """Spend a ticket (once) and issue the session's signed cookie value."""
    now = utcnow()
    row = session.scalar(select(DashboardSession).where(DashboardSession.ticket_hash == _digest(ticket or "")))
    if row is None or row.ticket_expires_at is None or row.ticket_expires_at <= now or not _is_live(row, now):
        raise AuthenticationError("this log-in link has expired; log in again")
    token = secrets.token_urlsafe(32)
    row.token_hash, row.ticket_hash, row.ticket_expires_at = _digest(token), None, None
    session.flush()
    remaining = int((row.expires_at - now).total_seconds())
    return IssuedCookie(session_id=row.id, value=sign_token(settings, token), max_age_seconds=remaining)


def _is_live(row: DashboardSession, now: dt.datetime) -> bool:
    return row.revoked_at is None and row.expires_at > now


def find_cookie_session(session: Session, *, settings: Settings, cookie: str | None) -> DashboardSession | None:
    """The live session a cookie names, whatever its user's state; None for anything else."""
    token = unsign_cookie(settings, cookie)
    if token is None:
        return None
    row = session.scalar(select(DashboardSession).where(DashboardSession.token_hash == _digest(token)))
    return row if row is not None and _is_live(row, utcnow()) else None


def resolve_cookie(session: Session, *, settings: Settings, cookie: str | None) -> DashboardSession | None:
    """The live session of an active user that the cookie names, else None."""
    row = find_cookie_session(session, settings=settings, cookie=cookie)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return row if user is not None and user.is_active else None


def is_session_live(session: Session, *, session_id: int) -> bool:
    row = session.get(DashboardSession, session_id)
    return row is not None and _is_live(row, utcnow())


def revoke_session(session: Session, *, session_id: int, reason: str = "logout") -> None:
    row = session.get(DashboardSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), reason
        row.ticket_hash = row.ticket_expires_at = None
        session.flush()


def revoke_user_sessions(session: Session, *, user_id: int, reason: str) -> int:
    """End every live session of a user; returns how many were ended."""
    result = session.execute(
        update(DashboardSession)
        .where(DashboardSession.user_id == user_id, DashboardSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason, ticket_hash=None, ticket_expires_at=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(result.rowcount or 0)
