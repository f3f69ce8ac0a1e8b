"""Use cases for accounts: sign-up, log-in (with lockout), and user management."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.auth.passwords import dummy_hash, hash_password, verify_password
from core.auth.permissions import ensure_admin, is_admin
from core.auth.schemas import UserCreate, UserUpdate
from core.auth.sessions import revoke_user_sessions
from core.db.loop_reads import bounded_read
from core.db.tables import Role, User
from core.errors import (
    AuthenticationError,
    ConflictError,
    CoreError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from core.logs import log_call

logger = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=5)


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == _normalise_email(email)))


def register_user(session: Session, *, data: UserCreate, actor: User | None = None, allow_signup: bool = True) -> User:
    """Create a user. The very first user becomes admin; only admins choose roles.

    When sign-up is closed, only an admin can create users.
    """
    first_user = count_users(session) == 0
    if not first_user and actor is None and not allow_signup:
        raise PermissionDeniedError("sign-up is closed; ask an admin to create your account")
    if actor is not None and not is_admin(actor) and not allow_signup:
        raise PermissionDeniedError("only admins can create users")
    role = Role.ADMIN if first_user else Role.ANALYST
    if data.role is not None and actor is not None and is_admin(actor):
        role = data.role
    user = User(
        email=_normalise_email(data.email),
        hashed_password=hash_password(data.password),
        full_name=data.full_name,
        role=role,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise ConflictError(f"a user with email {user.email} already exists") from exc
    # One event for every face (API sign-up, dashboard sign-up, an admin creating a user).
    record_audit(
        session,
        user=actor or user,
        action="user.create",
        target=f"user:{user.id}",
        detail={"role": role.value, "signup": actor is None},
    )
    logger.info("user registered", extra={"user_id": user.id, "role": role.value})
    return user


@log_call
def attempt_login(session: Session, *, email: str, password: str) -> User | CoreError:
    """Check credentials, recording failures and locking the account after repeated ones.

    Returns the user, or the error to raise. The error is returned rather than raised so the
    caller can commit the failure count first (a raise would roll it back). Every outcome is
    written to the audit log (never the password).
    """
    user = find_user_by_email(session, email)
    if user is None:
        verify_password(password, dummy_hash())  # same work as a real check: timing reveals nothing
        record_audit(session, user=None, action="auth.login_failed", detail={"email": _normalise_email(email)[:200]})
        return AuthenticationError("incorrect email or password")
    now = dt.datetime.now(dt.UTC)
    locked_until = user.locked_until  # timezone-aware on every backend (UtcDateTime)
    if locked_until is not None and locked_until > now:
        retry_after = int((locked_until - now).total_seconds()) + 1
        record_audit(session, user=user, action="auth.login_locked", target=f"user:{user.id}")
        return RateLimitedError("too many failed log-ins; try again later", retry_after=retry_after)
    if not verify_password(password, user.hashed_password):
        user.failed_login_count += 1
        if user.failed_login_count >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_login_count = 0
            logger.warning("account locked after failed log-ins", extra={"user_id": user.id})
        session.flush()
        locked = {"locked": True} if user.locked_until is not None else None
        record_audit(session, user=user, action="auth.login_failed", target=f"user:{user.id}", detail=locked)
        return AuthenticationError("incorrect email or password")
    if not user.is_active:
        record_audit(
            session, user=user, action="auth.login_failed", target=f"user:{user.id}", detail={"inactive": True}
        )
        return AuthenticationError("this account is deactivated")
    user.failed_login_count = 0
    user.locked_until = None
    session.flush()
    record_audit(session, user=user, action="auth.login", target=f"user:{user.id}")
    return user


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    return user


@bounded_read
def get_visible_user(session: Session, *, actor: User, user_id: int) -> User:
    """A user the actor may see: admins see all, others only themselves (else 'not found')."""
    if not is_admin(actor) and actor.id != user_id:
        raise NotFoundError(f"user {user_id} not found")
    return get_user(session, user_id=user_id)


@bounded_read
def list_users(session: Session, *, actor: User, limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    if not is_admin(actor):
        return [actor], 1
    total = count_users(session)
    users = session.scalars(select(User).order_by(User.id).limit(limit).offset(offset)).all()
    return list(users), total


def update_user(session: Session, *, actor: User, user_id: int, data: UserUpdate) -> User:
    user = get_visible_user(session, actor=actor, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    role_change = changes.get("role") is not None and changes["role"] != user.role
    active_change = changes.get("is_active") is not None and changes["is_active"] != user.is_active
    if role_change or active_change:
        ensure_admin(actor)
        record_audit(
            session,
            user=actor,
            action="user.privileges",
            target=f"user:{user.id}",
            detail={key: str(changes[key]) for key in ("role", "is_active") if changes.get(key) is not None},
        )
    if "email" in changes and changes["email"] is not None:
        user.email = _normalise_email(changes["email"])
    password_change = bool(changes.get("password"))
    if password_change:
        user.hashed_password = hash_password(changes["password"])
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if changes.get("role") is not None:
        user.role = changes["role"]
    if changes.get("is_active") is not None:
        user.is_active = changes["is_active"]
    if password_change or role_change or active_change:
        user.token_version += 1  # every log-in JWT issued before now is refused (core.auth.tokens)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise ConflictError(f"a user with email {user.email} already exists") from exc
    if password_change or role_change or active_change:
        # A changed password or privilege must not leave old dashboard log-ins open either.
        reason = "password_changed" if password_change else "privileges_changed"
        revoke_user_sessions(session, user_id=user.id, reason=reason)
    return user


def delete_user(session: Session, *, actor: User, user_id: int) -> None:
    user = get_visible_user(session, actor=actor, user_id=user_id)
    record_audit(session, user=actor, action="user.delete", target=f"user:{user.id}", detail={"email": user.email})
    session.delete(user)
    session.flush()
