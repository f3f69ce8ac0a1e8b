"""Errors → HTTP, in one place: CoreError by its kind (a 403 audited first: api.refusals), a
request that fails validation → 422 naming each field (never echoing the input: it may hold a
password, or a NaN that JSON cannot carry), a database that cannot serve → 503, anything else
→ 500 without details."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.refusals import audit_refusal
from api.security import ASGIApp, Message, Receive, Scope, Send, send_json
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


async def handle_core_error(request: Request, error: CoreError) -> JSONResponse:
    if isinstance(error, PermissionDeniedError):
        await audit_refusal(request, error)  # committed before the 403 is answered
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


class UnhandledErrorMiddleware:
    """The last word on an error no handler took: 503 when the database cannot serve, else
    500 without details (the traceback goes to the log).

    Starlette's own last-resort handler answers too, but then re-raises, and uvicorn closes
    the connection under the answer: clients saw resets instead of a 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise  # half an answer is out: only closing the connection tells the client
            if is_unavailable(error):
                logger.warning("database unavailable", extra={"error": type(error).__name__})
                await send_json(send, 503, {"detail": describe_unavailable(error)}, {"Retry-After": "5"})
                return
            logger.exception("unhandled error", exc_info=error)
            await send_json(send, 500, {"detail": "internal server error"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CoreError, handle_core_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, handle_invalid_request)  # type: ignore[arg-type]
