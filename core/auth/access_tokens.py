"""Personal access tokens: long-lived credentials for scripts and MCP clients.

A token is `sc_pat_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256
is stored: a fast hash is right here because the secret is random, not a guessable password,
and lookups by hash are a single indexed query. The secret is returned once, by
`create_personal_token`; listings show its first characters (`token_prefix`) only.

A token never does more than its user's role allows: a viewer cannot create a `write` token
(PermissionDeniedError), and a token's effective scopes are its scopes capped by the user's
role *now* (`effective_scopes`), so a write token of a user later demoted to viewer stops
writing at once.

`authenticate_personal_token` is the one check every use goes through (API bearer, MCP):
the token must exist, be unrevoked and unexpired, have the scope asked for among its effective
scopes, and belong to an active user; each refusal is an `AuthenticationError` (401) except a
missing scope, which is `PermissionDeniedError` (403). Successful uses update `last_used_at`.
`admit_token_use` is that check plus the audit event: `token.use`, or `token.refused` with the
reason (never the secret), the refusal returned rather than raised so the caller can commit
the record before failing the request.
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
from core.db.tables import PersonalAccessToken, Role, User
from core.errors import AuthenticationError, CoreError, NotFoundError, PermissionDeniedError

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


def allowed_scopes(user: User) -> frozenset[TokenScope]:
    """What the user's role lets any of their tokens do: viewers read; analysts and admins write too."""
    return frozenset({TokenScope.READ}) if user.role == Role.VIEWER else frozenset(TokenScope)


def effective_scopes(user: User, token: PersonalAccessToken) -> list[str]:
    """The token's scopes capped by its user's current role."""
    allowed = allowed_scopes(user)
    return [scope for scope in token.scopes if scope in allowed]


def create_personal_token(session: Session, *, user: User, data: AccessTokenCreate) -> AccessTokenCreated:
    """A new token for `user`; the answer holds the secret, which is not kept anywhere."""
    beyond = [scope.value for scope in data.scopes if scope not in allowed_scopes(user)]
    if beyond:
        raise PermissionDeniedError(
            f"a {user.role.value}'s token cannot have the {', '.join(repr(s) for s in beyond)} scope: viewers have "
            "read-only access; create a 'read' token, or ask an admin for the analyst role"
        )
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
    if scope.value not in effective_scopes(user, token):
        raise PermissionDeniedError(
            f"this access token's '{scope.value}' scope is capped by your role: "
            f"{user.role.value}s have read-only access"
        )
    token.last_used_at = _now()
    session.flush()
    return user, token


def audit_token_use(session: Session, *, user: User, token: PersonalAccessToken, action: str, **detail) -> None:
    """One audit event for a use of `token` (never the secret)."""
    record_audit(session, user=user, action=action, target=f"token:{token.id}", detail=detail or None)


def admit_token_use(session: Session, *, secret: str, scope: TokenScope, via: str, **detail) -> User | CoreError:
    """The user a token acts for, its use audited (`token.use`); or the refusal, audited as
    `token.refused` with the reason and returned (marked `audited`), for the caller to raise
    once this unit of work has committed the record.

    `detail` (e.g. method and path) goes into both events; the secret never does. A refusal
    names the token and its owner when the secret matches a token, else neither.
    """
    try:
        user, token = authenticate_personal_token(session, secret=secret, scope=scope)
    except (AuthenticationError, PermissionDeniedError) as refusal:
        known = find_personal_token(session, secret=secret)
        record_audit(
            session,
            user=known.user_id if known else None,
            action="token.refused",
            target=f"token:{known.id}" if known else None,
            detail={"via": via, **detail, "reason": refusal.message},
        )
        refusal.audited = True
        return refusal
    audit_token_use(session, user=user, token=token, action="token.use", via=via, **detail)
    return user
