"""Errors → HTTP, in one place: CoreError by its kind, a request that fails validation → 422
naming each field (never echoing the input: it may hold a password, or a NaN that JSON cannot
carry), a database that cannot serve → 503, anything else → 500 without details."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.db.session import describe_unavailable, is_unavailable
from core.errors import (
    AuthenticationError,
    ConflictError,
    CoreError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[CoreError], int]] = [
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (RateLimitedError, 429),
    (ServiceUnavailableError, 503),
]


def status_for(error: CoreError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 400


async def handle_core_error(_request: Request, error: CoreError) -> JSONResponse:
    status = status_for(error)
    headers: dict[str, str] = {}
    if isinstance(error, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, RateLimitedError):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, ServiceUnavailableError):
        headers["Retry-After"] = "5"
    body: dict[str, object] = {"detail": error.message}
    if error.details:
        body["errors"] = error.details
    return JSONResponse(body, status_code=status, headers=headers)


async def handle_invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    problems = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
    return JSONResponse({"detail": problems}, status_code=422)


async def handle_unexpected(_request: Request, error: Exception) -> JSONResponse:
    if is_unavailable(error):  # the request's own look-ups, awaited outside a unit of work
        logger.warning("database unavailable", extra={"error": type(error).__name__})
        return JSONResponse({"detail": describe_unavailable(error)}, status_code=503, headers={"Retry-After": "5"})
    logger.exception("unhandled error", exc_info=error)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CoreError, handle_core_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, handle_invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, handle_unexpected)
