"""JWT access tokens: HS256 only, expiry and signature always checked, revocable per user.

Each token carries its user's `token_version` (claim `ver`). A password change, a role change
and a deactivation bump the user's version (`core.auth.service.update_user`), so every log-in
issued before then is refused from its next use (`ensure_token_current`): a 401, not up to
JWT_EXPIRE_MINUTES more of access. Tokens from before versions existed count as version 0.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt

from core.config import Settings
from core.db.tables import User
from core.errors import AuthenticationError

ALGORITHM = "HS256"
VERIFIED_TOKENS_KEPT = 4096  # per process; a token is ~200 bytes
VERSION_CLAIM = "ver"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    token_version: int


def create_access_token(settings: Settings, *, user_id: int, role: str, token_version: int = 0) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": str(user_id),
        "role": role,
        VERSION_CLAIM: token_version,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.jwt_expire_minutes),
    }
    return jwt.encode(claims, settings.resolved_jwt_secret(), algorithm=ALGORITHM)


def decode_access_claims(settings: Settings, token: str) -> AccessClaims:
    """The user id and token version a valid token carries; AuthenticationError for a bad or
    expired one."""
    claims, expires_at = _verified_claims(settings.resolved_jwt_secret(), token)
    if time.time() >= expires_at:  # checked on every use: a remembered token still expires
        raise AuthenticationError("token has expired")
    return claims


@lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified_claims(secret: str, token: str) -> tuple[AccessClaims, float]:
    """A token's claims and expiry once its signature checks out; remembered (a refusal is
    raised, so never remembered), since a client sends the same token with every request."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # pinned: never trust the token's own "alg"
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationError("token has expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationError("invalid token") from exc
    try:
        user_claims = AccessClaims(user_id=int(claims["sub"]), token_version=int(claims.get(VERSION_CLAIM, 0)))
        return user_claims, float(claims["exp"])
    except (TypeError, ValueError) as exc:
        raise AuthenticationError("invalid token subject") from exc


def decode_access_token(settings: Settings, token: str) -> int:
    """The user id a valid token names (see `decode_access_claims`)."""
    return decode_access_claims(settings, token).user_id


def ensure_token_current(user: User, claims: AccessClaims) -> None:
    """Refuse a token issued before the user's password, role or activation last changed."""
    if claims.token_version != user.token_version:
        raise AuthenticationError("this log-in has ended: the password or access changed since; log in again")
