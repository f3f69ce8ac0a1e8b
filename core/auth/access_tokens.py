"""Personal access tokens: long-lived credentials for scripts and MCP clients.

A token is `sc_pat_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256
is stored: a fast hash is right here because the secret is random, not a guessable password,
and lookups by hash are a single indexed query. The secret is returned once, by
`create_personal_token`; listings show its first characters (`token_prefix`) only.

`authenticate_personal_token` is the one check every use goes through (API bearer, MCP):
the token must exist, be unrevoked and unexpired, carry the scope asked for, and belong to an
active user; each refusal is an `AuthenticationError` (401) except a missing scope, which is
`PermissionDeniedError` (403). Successful uses update `last_used_at`. Callers audit the use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.auth.access_token_schemas import AccessTokenCreate, AccessTokenCreated, AccessTokenRead, TokenScope
from core.db.tables import PersonalAccessToken, User
from core.errors import AuthenticationError, NotFoundError, PermissionDeniedError

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "sc_pat_"
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
MAX_TOKENS_PER_USER = 50


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_personal_token(credential: str) -> bool:
    """Whether a bearer credential is a personal access token (JWTs never start this way)."""
    return credential.startswith(TOKEN_PREFIX)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_personal_token(session: Session, *, user: User, data: AccessTokenCreate) -> AccessTokenCreated:
    """A new token for `user`; the answer holds the secret, which is not kept anywhere."""
    live = [token for token in _owned(session, user=user) if token.revoked_at is None]
    if len(live) >= MAX_TOKENS_PER_USER:
        raise PermissionDeniedError(f"at most {MAX_TOKENS_PER_USER} live tokens per user; revoke one first")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken(
        user_id=user.id,
        name=data.name,
        token_hash=hash_token(secret),
        token_prefix=secret[:SHOWN_PREFIX_LENGTH],
        scopes=[scope.value for scope in data.scopes],
        expires_at=_now() + dt.timedelta(days=data.expires_in_days),
    )
    session.add(token)
    session.flush()
    record_audit(
        session,
        user=user,
        action="token.create",
        target=f"token:{token.id}",
        detail={"name": token.name, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()},
    )
    return AccessTokenCreated(**AccessTokenRead.model_validate(token).model_dump(), token=secret)


def _owned(session: Session, *, user: User) -> list[PersonalAccessToken]:
    query = select(PersonalAccessToken).where(PersonalAccessToken.user_id == user.id)
    return list(session.scalars(query.order_by(PersonalAccessToken.id.desc())))


def list_personal_tokens(session: Session, *, user: User) -> list[AccessTokenRead]:
    """The user's own tokens, newest first, revoked and expired ones included (never secrets)."""
    return [AccessTokenRead.model_validate(token) for token in _owned(session, user=user)]


def revoke_personal_token(session: Session, *, user: User, token_id: int) -> AccessTokenRead:
    """Revoke one of the user's tokens (another user's is 'not found'); revoking twice is a no-op."""
    token = session.get(PersonalAccessToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = _now()
        session.flush()
        record_audit(session, user=user, action="token.revoke", target=f"token:{token.id}")
    return AccessTokenRead.model_validate(token)


def find_personal_token(session: Session, *, secret: str) -> PersonalAccessToken | None:
    """The token whose secret this is, whatever its state (for auditing refusals)."""
    return session.scalar(select(PersonalAccessToken).where(PersonalAccessToken.token_hash == hash_token(secret)))


def verify_personal_token(session: Session, *, secret: str) -> tuple[User, PersonalAccessToken]:
    """The user and token of a usable secret (any scope); records nothing."""
    token = find_personal_token(session, secret=secret)
    if token is None:
        raise AuthenticationError("invalid access token")
    if token.revoked_at is not None:
        raise AuthenticationError("this access token has been revoked")
    if token.expires_at <= _now():
        raise AuthenticationError("this access token has expired")
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("this account is deactivated")
    return user, token


def authenticate_personal_token(
    session: Session, *, secret: str, scope: TokenScope = TokenScope.READ
) -> tuple[User, PersonalAccessToken]:
    """The user a valid token acts for, and the token (see the module docstring)."""
    user, token = verify_personal_token(session, secret=secret)
    if scope.value not in token.scopes:
        raise PermissionDeniedError(f"this access token lacks the '{scope.value}' scope")
    token.last_used_at = _now()
    session.flush()
    return user, token


def audit_token_use(session: Session, *, user: User, token: PersonalAccessToken, action: str, **detail) -> None:
    """One audit event for a use of `token` (never the secret)."""
    record_audit(session, user=user, action=action, target=f"token:{token.id}", detail=detail or None)
