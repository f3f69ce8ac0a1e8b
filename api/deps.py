"""Typed dependencies: settings, the use-case runner, and the calling user.

`RunDep` runs a sync `core` use case in a worker thread, in its own unit of work that
commits before the route returns (`await run(service, user=user, **kwargs)`): a 2xx means
committed, and no database or CPU work of a service runs on the event loop. GET, HEAD and
OPTIONS run as reads (no write lock on SQLite); other methods as writes.

`TasksDep` is this process's `UserTasks` (core.tasks): where long requests run as tasks.

`SessionDep` is a read-only AsyncSession for the caller's look-up (awaited, never run_sync);
it closes before the response is sent and never commits.

`CurrentUser` accepts a log-in JWT or a personal access token (`sc_pat_…`) as the bearer; a
token needs the `write` scope for any method but GET/HEAD/OPTIONS (asking the chat is a
read), and each use is audited (`token.use`; a refusal as `token.refused`, committed before
the 401/403). A log-in JWT issued before the user's password, role or activation last changed
is refused (core.auth.tokens). `LoggedInUser` accepts the JWT only (managing tokens needs a
real log-in).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.access_token_schemas import TokenScope
from core.auth.access_tokens import admit_token_use, is_personal_token
from core.auth.acting import run_as, run_service
from core.auth.tokens import decode_access_claims, ensure_token_current
from core.config import Settings
from core.db.session import DatabaseUnavailableError, describe_unavailable, is_unavailable
from core.db.tables import User
from core.errors import AuthenticationError, CoreError, PermissionDeniedError
from core.tasks.runner import UserTasks

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as session:
        yield session  # read-only: closing rolls back whatever transaction the read began


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


class ServiceRunner:
    """Runs a sync `core` use case off the event loop, committed before the route answers."""

    def __init__(self, settings: Settings, *, write: bool) -> None:
        self.settings = settings
        self.write = write

    async def __call__(
        self,
        service: Any,
        /,
        *,
        user: User | None = None,
        user_arg: str = "owner",
        write: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        write = self.write if write is None else write
        if user is None:
            call = partial(run_service, self.settings, service, write=write, **kwargs)
        else:
            call = partial(run_as, self.settings, user.id, service, user_arg=user_arg, write=write, **kwargs)
        return await anyio.to_thread.run_sync(call)


def get_user_tasks(request: Request) -> UserTasks:
    return request.app.state.user_tasks


TasksDep = Annotated[UserTasks, Depends(get_user_tasks)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Posts that change nothing of the caller's data: a read-only token may make them (as over MCP).
READ_SCOPE_POSTS = frozenset({"/api/chat"})


def required_scope(request: Request) -> TokenScope:
    if request.method in READ_METHODS or request.url.path.rstrip("/") in READ_SCOPE_POSTS:
        return TokenScope.READ
    return TokenScope.WRITE


def get_runner(request: Request) -> ServiceRunner:
    return ServiceRunner(request.app.state.settings, write=request.method not in READ_METHODS)


RunDep = Annotated[ServiceRunner, Depends(get_runner)]


async def _user_of_personal_token(run: ServiceRunner, request: Request, secret: str) -> User:
    # A refusal is returned, not raised, so its unit of work commits the `token.refused` record.
    outcome = await run(
        admit_token_use,
        write=True,
        secret=secret,
        scope=required_scope(request),
        via="api",
        method=request.method,
        path=request.url.path,
    )
    if isinstance(outcome, CoreError):
        raise outcome
    return outcome


async def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    run: RunDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise AuthenticationError("not authenticated")
    if is_personal_token(token):
        user = await _user_of_personal_token(run, request, token)
    else:
        user = await _user_of_jwt(session, settings, token)
    request.state.user_id = user.id  # who a refusal is audited under (api.refusals)
    return user


async def _user_of_jwt(session: AsyncSession, settings: Settings, token: str) -> User:
    claims = decode_access_claims(settings, token)
    try:
        user = await session.get(User, claims.user_id)
    except Exception as exc:  # the driver's own errors: a refused or dropped connection
        if is_unavailable(exc):
            raise DatabaseUnavailableError(describe_unavailable(exc)) from exc
        raise
    if user is None:
        raise AuthenticationError("the token's user no longer exists")
    if not user.is_active:
        raise AuthenticationError("this account is deactivated")
    ensure_token_current(user, claims)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_logged_in_user(
    request: Request, session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    if not token:
        raise AuthenticationError("not authenticated")
    if is_personal_token(token):
        raise PermissionDeniedError("access tokens cannot manage access tokens; log in with your password")
    user = await _user_of_jwt(session, settings, token)
    request.state.user_id = user.id  # who a refusal is audited under (api.refusals)
    return user


LoggedInUser = Annotated[User, Depends(get_logged_in_user)]


async def get_optional_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    run: RunDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User | None:
    if not token:
        return None
    return await get_current_user(request, session, settings, run, token)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
