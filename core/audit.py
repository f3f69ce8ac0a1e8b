"""The audit log: who logged in (or failed to), and who destroyed what.

`record_audit` adds an `AuditEvent` row in the caller's session (the caller commits, like any
service). Actions are dotted names: `auth.login`, `auth.login_failed`, `auth.login_locked`,
`user.delete`, `user.privileges`, `holding.delete`, `token.use`, `token.refused`,
`access.denied`, … Never put secrets in `detail`. Refusals are recorded in a unit of work of
their own, committed although the request fails.
The API binds each request's client address (`bind_client_ip`), used when none is passed.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.tables import AuditEvent, User

logger = logging.getLogger(__name__)

TARGET_MAX_LENGTH = 200

# The API binds the caller's address per request, so services deep below record it too.
_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def bind_client_ip(client_ip: str | None) -> contextvars.Token:
    return _client_ip.set(client_ip)


def reset_client_ip(token: contextvars.Token) -> None:
    _client_ip.reset(token)


def record_audit(
    session: Session,
    *,
    user: User | int | None,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    """Add one audit event; `user` is the actor (a User, its id, or None when unknown).

    `client_ip` defaults to the address bound for the current request, if any.
    """
    user_id = user.id if isinstance(user, User) else user
    event = AuditEvent(
        user_id=user_id,
        action=action,
        target=target[:TARGET_MAX_LENGTH] if target else None,
        detail=detail or {},
        client_ip=client_ip or _client_ip.get(),
    )
    session.add(event)
    session.flush()
    logger.info("audit", extra={"action": action, "user_id": user_id, "target": event.target})
    return event


def record_access_denied(session: Session, *, user_id: int | None, method: str, path: str, reason: str) -> AuditEvent:
    """`access.denied`: a signed-in caller (or nobody known) refused an action (a 403)."""
    return record_audit(
        session, user=user_id, action="access.denied", detail={"method": method, "path": path[:200], "reason": reason}
    )


def list_audit_events(
    session: Session, *, action: str | None = None, user_id: int | None = None, limit: int = 100
) -> list[AuditEvent]:
    """The newest events first, optionally for one action or one user."""
    query = select(AuditEvent)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
