"""JWT access tokens: HS256 only, expiry and signature always checked."""

from __future__ import annotations

import datetime as dt

import jwt

from core.config import Settings
from core.errors import AuthenticationError

ALGORITHM = "HS256"


def create_access_token(settings: Settings, *, user_id: int, role: str) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.jwt_expire_minutes),
    }
    return jwt.encode(claims, settings.resolved_jwt_secret(), algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> int:
    """The user id a valid token names; AuthenticationError for a bad or expired one."""
    try:
        claims = jwt.decode(
            token,
            settings.resolved_jwt_secret(),
            algorithms=[ALGORITHM],  # pinned: never trust the token's own "alg"
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationError("token has expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationError("invalid token") from exc
    try:
        return int(claims["sub"])
    except (TypeError, ValueError) as exc:
        raise AuthenticationError("invalid token subject") from exc
