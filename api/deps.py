"""Typed dependencies: settings, the use-case runner, and the calling user.

`RunDep` runs a sync `core` use case in a worker thread, in its own unit of work that
commits before the route returns (`await run(service, user=user, **kwargs)`): a 2xx means
committed, and no CPU work of a service runs on the event loop. GET, HEAD and OPTIONS run as
reads (no write lock on SQLite); other methods as writes. A read of a use case marked
`@bounded_read` runs on the event loop instead (core.db.loop_reads: over asyncpg on
PostgreSQL, where it only waits; on a SQLite file on a connection that never waits for a lock),
and so does the bounded read that may answer a use case first (`answered_first_by`).
Units are admitted to the database's connections in the order they arrive (core.db.admission).

`CurrentUser` is the `Caller` a bearer names: a log-in JWT (its signature and expiry checked
here, with no database round trip) or a personal access token (`sc_pat_…`; it needs the
`write` scope for any method but GET/HEAD/OPTIONS (asking the chat is a read), and each use is
audited: `token.use`, a refusal as `token.refused`, committed before the 401/403). The
account itself (it exists, is active, and a JWT is not older than its last password, role or
activation change) is checked by every `run` of the request, inside the same unit of work as
the use case (core.auth.acting): one transaction per request, no window between check and
work. A route that needs the account itself without a use case takes `VerifiedUser`.
`LoggedInUser` accepts the JWT only (managing tokens needs a real log-in).

A use case marked `@cpu_heavy` (a projection), and `run.in_units(use_case, …)`, a use case
of several units of work (a file import: core.auth.acting), run as the caller in one of this
process's work processes (core.db.work_processes), so they never hold the GIL that the event
loop and the other requests' threads share.

`TasksDep` is this process's `UserTasks` (core.tasks): where long requests run as tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from core.auth.access_token_schemas import TokenScope
from core.auth.access_tokens import admit_token_use, is_personal_token
from core.auth.acting import acting_work, run_as, run_units_as
from core.auth.tokens import AccessClaims, decode_access_claims
from core.config import Settings
from core.db.admission import run_in_thread
from core.db.loop_reads import bounded_read, first_answer_of, is_bounded_read, read_on_loop, reads_on_loop
from core.db.tables import User
from core.db.work_processes import WorkProcesses, is_cpu_heavy
from core.errors import AuthenticationError, CoreError, PermissionDeniedError
from core.tasks.runner import UserTasks

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


# The dependencies that only look something up are async: FastAPI runs a plain `def` one in a
# worker thread, a hand-over per request that then waits for the GIL behind the loop.
async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


@dataclass(frozen=True)
class Caller:
    """Who a request's bearer names; the account is checked in each unit of work (see the module)."""

    id: int
    claims: AccessClaims | None = None  # a log-in JWT's; None for an admitted personal token


class ServiceRunner:
    """Runs a sync `core` use case off the event loop, committed before the route answers.

    One per request. Once the request's caller is known, every run checks that account in
    its own unit of work, whether or not the use case takes the user."""

    def __init__(self, settings: Settings, *, write: bool, processes: WorkProcesses) -> None:
        self.settings = settings
        self.write = write
        self.processes = processes
        self.caller: Caller | None = None

    async def __call__(
        self,
        service: Any,
        /,
        *,
        user: Caller | None = None,
        user_arg: str = "owner",
        write: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        write = self.write if write is None else write
        acting = user or self.caller

        def work_of(use_case: Any) -> Any:
            if acting is None:
                return partial(use_case, **kwargs)
            return acting_work(
                acting.id, use_case, user_arg=user_arg if user is not None else None, claims=acting.claims, **kwargs
            )

        on_loop = not write and reads_on_loop(self.settings)
        if on_loop and (first := first_answer_of(service)) is not None:
            answer = await read_on_loop(self.settings, work_of(first))
            if answer is not None:
                return answer
        work = work_of(service)
        if is_cpu_heavy(service) and acting is not None:
            return await self.processes.call(
                run_as,
                self.settings,
                acting.id,
                service,
                user_arg=user_arg if user is not None else None,
                write=write,
                claims=acting.claims,
                **kwargs,
            )
        short_read = not write and is_bounded_read(service)
        if short_read and on_loop:
            return await read_on_loop(self.settings, work)
        return await run_in_thread(self.settings, work, write=write, short_read=short_read)

    async def in_units(self, use_case: Any, /, *, user: Caller | None = None, **kwargs: Any) -> Any:
        """`use_case(units, **kwargs)` in a work process, each of its units of work run as the
        caller and committed (core.auth.acting.run_units_as) before this returns."""
        acting = user or self.caller
        if acting is None:
            raise AuthenticationError("not authenticated")
        return await self.processes.call(
            run_units_as, self.settings, acting.id, use_case, claims=acting.claims, **kwargs
        )


async def get_user_tasks(request: Request) -> UserTasks:
    return request.app.state.user_tasks


TasksDep = Annotated[UserTasks, Depends(get_user_tasks)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Posts that change nothing of the caller's data: a read-only token may make them (as over MCP).
READ_SCOPE_POSTS = frozenset({"/api/chat"})


def required_scope(request: Request) -> TokenScope:
    if request.method in READ_METHODS or request.url.path.rstrip("/") in READ_SCOPE_POSTS:
        return TokenScope.READ
    return TokenScope.WRITE


async def get_runner(request: Request) -> ServiceRunner:
    state = request.app.state
    return ServiceRunner(state.settings, write=request.method not in READ_METHODS, processes=state.work_processes)


RunDep = Annotated[ServiceRunner, Depends(get_runner)]


async def _caller_of_personal_token(run: ServiceRunner, request: Request, secret: str) -> Caller:
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
    return Caller(id=outcome.id)


def _caller_of_jwt(settings: Settings, token: str) -> Caller:
    claims = decode_access_claims(settings, token)
    return Caller(id=claims.user_id, claims=claims)


def _identified(request: Request, run: ServiceRunner, caller: Caller) -> Caller:
    # Who a refusal is audited under, and the runner that records it (api.refusals).
    request.state.user_id, request.state.runner = caller.id, run
    run.caller = caller
    return caller


async def get_current_user(
    request: Request,
    settings: SettingsDep,
    run: RunDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Caller:
    if not token:
        raise AuthenticationError("not authenticated")
    if is_personal_token(token):
        caller = await _caller_of_personal_token(run, request, token)
    else:
        caller = _caller_of_jwt(settings, token)
    return _identified(request, run, caller)


CurrentUser = Annotated[Caller, Depends(get_current_user)]


async def get_logged_in_user(
    request: Request, settings: SettingsDep, run: RunDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Caller:
    if not token:
        raise AuthenticationError("not authenticated")
    if is_personal_token(token):
        raise PermissionDeniedError("access tokens cannot manage access tokens; log in with your password")
    return _identified(request, run, _caller_of_jwt(settings, token))


LoggedInUser = Annotated[Caller, Depends(get_logged_in_user)]


async def get_optional_user(
    request: Request,
    settings: SettingsDep,
    run: RunDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Caller | None:
    if not token:
        return None
    return await get_current_user(request, settings, run, token)


OptionalUser = Annotated[Caller | None, Depends(get_optional_user)]


@bounded_read
def _account(session: Any, *, owner: User) -> User:
    return owner


async def get_verified_user(run: RunDep, caller: CurrentUser) -> User:
    """The caller's account, checked and loaded in a read unit of work of its own."""
    return await run(_account, user=caller, write=False)


VerifiedUser = Annotated[User, Depends(get_verified_user)]
