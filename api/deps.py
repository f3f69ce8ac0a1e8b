"""Typed dependencies: settings, the request's unit of work, and the calling user.

`SessionDep` is the unit of work: committed when the route returns, rolled back on error.
Routes reach the sync services through `await session.run_sync(service, ...)`.

`CurrentUser` accepts a log-in JWT or a personal access token (`sc_pat_…`) as the bearer; a
token needs the `write` scope for any method but GET/HEAD/OPTIONS, and each use is audited
(`token.use`; a refusal as `token.refused`, committed before the 401/403). A log-in JWT issued
before the user's password, role or activation last changed is refused (core.auth.tokens).
`LoggedInUser` accepts the JWT only (managing tokens needs a real log-in).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.access_token_schemas import TokenScope
from core.auth.access_tokens import admit_token_use, is_personal_token
from core.auth.service import get_user
from core.auth.tokens import decode_access_claims, ensure_token_current
from core.config import Settings
from core.db.session import session_scope
from core.db.tables import User
from core.errors import AuthenticationError, CoreError, NotFoundError, PermissionDeniedError

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


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _user_of_personal_token(session: AsyncSession, request: Request, secret: str) -> User:
    scope = TokenScope.READ if request.method in READ_METHODS else TokenScope.WRITE
    use = {"secret": secret, "scope": scope, "via": "api", "method": request.method, "path": request.url.path}
    outcome = await session.run_sync(lambda sync_session: admit_token_use(sync_session, **use))
    if isinstance(outcome, CoreError):
        await session.commit()  # keep the refusal's audit record though the request fails
        raise outcome
    return outcome


async def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise AuthenticationError("not authenticated")
    if is_personal_token(token):
        user = await _user_of_personal_token(session, request, token)
    else:
        user = await _user_of_jwt(session, settings, token)
    request.state.user_id = user.id  # who a refusal is audited under (api.refusals)
    return user


async def _user_of_jwt(session: AsyncSession, settings: Settings, token: str) -> User:
    claims = decode_access_claims(settings, token)
    try:
        user = await session.run_sync(lambda s: get_user(s, user_id=claims.user_id))
    except NotFoundError as exc:
        raise AuthenticationError("the token's user no longer exists") from exc
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
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User | None:
    if not token:
        return None
    return await get_current_user(request, session, settings, token)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def call_service(session: AsyncSession, service, /, **kwargs):
    """Run a sync `core` service (which takes `session` first) inside the async session."""
    return await session.run_sync(lambda sync_session: service(sync_session, **kwargs))


WorkerRunner = Callable[..., Awaitable[Any]]


def make_worker_runner(settings: Settings) -> WorkerRunner:
    """A runner for long use cases (model fits, LLM calls): `await run(service, user=…, **kw)`.

    `run_sync` executes on the event loop's thread, so seconds of CPU there would stall every
    other request. The runner moves the service to a worker thread with its own unit of work,
    re-loading the caller there (ORM objects do not cross sessions).
    """

    def run_in_own_session(service, user_id: int, user_arg: str, kwargs: dict[str, Any]) -> Any:
        with session_scope(settings) as sync_session:
            caller = get_user(sync_session, user_id=user_id)
            return service(sync_session, **{user_arg: caller}, **kwargs)

    async def run(service, /, *, user: User, user_arg: str = "user", **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(run_in_own_session, service, user.id, user_arg, kwargs)

    return run


def get_worker_runner(request: Request) -> WorkerRunner:
    return make_worker_runner(request.app.state.settings)


WorkerDep = Annotated[WorkerRunner, Depends(get_worker_runner)]
