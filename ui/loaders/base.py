"""The UI's units of work: `call` and `call_as` run a core service in its own committed unit of
work; the logged-in `Account` as the UI sees it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.auth.acting import run_as, run_service
from core.config import Settings, get_settings


@dataclass(frozen=True)
class Account:
    """The logged-in user as the UI sees it (no hash, no ORM object)."""

    id: int
    email: str
    full_name: str | None
    role: str
    is_active: bool

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


def current_settings() -> Settings:
    return get_settings()


def database_key() -> str:
    """The cache key that separates databases (tests use several in one process)."""
    return get_settings().database_url


def call(service: Callable[..., Any], /, *, write: bool = True, **kwargs: Any) -> Any:
    """Run a core service in its own unit of work, committed before the page shows the outcome."""
    return run_service(get_settings(), service, write=write, **kwargs)


def call_as(
    user_id: int, service: Callable[..., Any], /, *, user_arg: str = "owner", write: bool = True, **kwargs: Any
) -> Any:
    """Run a core service as the user `user_id` (passed as `user_arg`), committed before the
    page shows the outcome."""
    return run_as(get_settings(), user_id, service, user_arg=user_arg, write=write, **kwargs)
