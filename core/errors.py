"""The errors `core` raises, translated once at the edges (API handlers, pages, CLI).

CoreError
├── NotFoundError              a thing that does not exist, or is not the caller's → 404
├── ConflictError              a duplicate (email, holding per ticker)              → 409
├── InvalidInputError          bad input, with a list of problems                   → 422
│   └── InsufficientHistoryError   a series too short, gappy or flat to forecast
├── AuthenticationError        missing, bad or expired credentials                  → 401
├── PermissionDeniedError      authenticated but not allowed                        → 403
├── RateLimitedError           too many attempts; carries retry_after seconds       → 429
└── ServiceUnavailableError    a dependency is down (provider, MLflow, LLM)         → 503
"""

from __future__ import annotations

from typing import Any


class CoreError(Exception):
    """Base of every error `core` raises on purpose.

    `audited` is True once a refusal is in the audit log (e.g. `token.refused`), so that the
    edge, which audits every refusal it answers, does not record it twice.
    """

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.audited = False

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its attributes, not its constructor's arguments: an error raised in a
        # work process (core.db.work_processes) comes back whole, whatever its __init__ takes.
        return _rebuild_error, (type(self), self.args, self.__dict__)


def _rebuild_error(cls: type[CoreError], args: tuple[Any, ...], state: dict[str, Any]) -> CoreError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class NotFoundError(CoreError):
    pass


class ConflictError(CoreError):
    pass


class InvalidInputError(CoreError):
    pass


class InsufficientHistoryError(InvalidInputError):
    pass


class AuthenticationError(CoreError):
    pass


class PermissionDeniedError(CoreError):
    pass


class RateLimitedError(CoreError):
    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailableError(CoreError):
    pass
