"""Typed dependencies: settings, the request's unit of work, and the calling user.

`SessionDep` is the unit of work: committed when the route returns, rolled back on error.
Routes reach the sync services through `await session.run_sync(service, ...)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.service import get_user
from core.auth.tokens import decode_access_token
from core.config import Settings
from core.db.tables import User
from core.errors import AuthenticationError, NotFoundError

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_current_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    if not token:
        raise AuthenticationError("not authenticated")
    user_id = decode_access_token(settings, token)
    try:
        user = await session.run_sync(lambda s: get_user(s, user_id=user_id))
    except NotFoundError as exc:
        raise AuthenticationError("the token's user no longer exists") from exc
    if not user.is_active:
        raise AuthenticationError("this account is deactivated")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_optional_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User | None:
    if not token:
        return None
    return await get_current_user(session, settings, token)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def call_service(session: AsyncSession, service, /, **kwargs):
    """Run a sync `core` service (which takes `session` first) inside the async session."""
    return await session.run_sync(lambda sync_session: service(sync_session, **kwargs))
