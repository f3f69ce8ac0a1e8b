"""Running a use case as a user: the one way every face (API, dashboard, MCP) calls `core`.

`run_as(settings, user_id, service, …)` loads the user in a fresh unit of work
(`acting_user`: refused when gone, deactivated or, given a log-in token's claims, when the
token predates the user's last password, role or activation change), calls
`service(session, <user_arg>=user, **kwargs)`, and commits before returning (retrying while
the database is busy: see core.db.session). The check and the work share one unit of work:
one transaction per request, and no window between them. The caller's ORM objects never
cross units of work: faces pass the user's id, and get back what the service returned
(attributes loaded, the session closed).

A use case of several units (read, compute with none open, write) is a function of
`ActingUnits` first: `units(service, write=…, **kwargs)` runs one service as the user in its
own unit of work. `run_units_as(settings, user_id, use_case, …)` hands it `run_as`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeAlias

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.auth.tokens import AccessClaims, ensure_token_current
from core.config import Settings
from core.db.session import run_unit_of_work
from core.db.tables import User
from core.errors import AuthenticationError

ActingUnits: TypeAlias = Callable[..., Any]  # units(service, /, *, write=True, **kwargs) -> what it returned


# Every request runs it: built once (core.db.loop_reads says why).
_ACCOUNT = select(User).where(User.id == bindparam("user_id"))


def acting_user(session: Session, user_id: int, *, claims: AccessClaims | None = None) -> User:
    """The user `user_id`, allowed to act now (see the module), loaded in `session`."""
    user = session.scalars(_ACCOUNT, {"user_id": user_id}).one_or_none()
    if user is None:
        raise AuthenticationError("this account no longer exists")
    if not user.is_active:
        raise AuthenticationError("this account is deactivated")
    if claims is not None:
        ensure_token_current(user, claims)
    return user


def acting_work(
    user_id: int,
    service: Callable[..., Any],
    /,
    *,
    user_arg: str | None = "owner",
    claims: AccessClaims | None = None,
    **kwargs: Any,
) -> Callable[[Session], Any]:
    """The work of `run_as`, for a face that runs units of work itself (the API's runner)."""

    def work(session: Session) -> Any:
        user = acting_user(session, user_id, claims=claims)
        return service(session, **({user_arg: user} if user_arg else {}), **kwargs)

    return work


def run_as(
    settings: Settings | None,
    user_id: int,
    service: Callable[..., Any],
    /,
    *,
    user_arg: str | None = "owner",
    write: bool = True,
    claims: AccessClaims | None = None,
    **kwargs: Any,
) -> Any:
    """`service` as the user `user_id`, in its own committed unit of work (see the module).
    `user_arg=None` checks the user without passing them (a service that takes no user)."""
    work = acting_work(user_id, service, user_arg=user_arg, claims=claims, **kwargs)
    return run_unit_of_work(settings, work, write=write)


def run_service(settings: Settings | None, service: Callable[..., Any], /, *, write: bool = True, **kwargs: Any) -> Any:
    """`service` with no acting user (sign-up, log-in, public reads), in its own unit of work."""
    return run_unit_of_work(settings, lambda session: service(session, **kwargs), write=write)


def run_units_as(
    settings: Settings | None,
    user_id: int,
    use_case: Callable[..., Any],
    /,
    *,
    claims: AccessClaims | None = None,
    **kwargs: Any,
) -> Any:
    """`use_case(units, **kwargs)`, each of its units run by `run_as` as the user `user_id`."""
    return use_case(partial(run_as, settings, user_id, claims=claims), **kwargs)
