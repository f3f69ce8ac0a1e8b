"""Structured logging: JSON lines (or readable console lines) through the standard library.

Modules log with `logging.getLogger(__name__)`; `configure_logging` is called by entry
points only. A request id bound with `bind_request_id` appears on every line logged while a
request is handled. `log_call` and `time_execution` decorate sync and async functions alike.

No secret reaches a line: every field, the message and the rendered traceback go through
`core.redaction` (password hashes, tokens, JWTs, passwords, cookies, SQL parameters) as the
last step before rendering. The servers' own loggers (uvicorn's, Streamlit's) are routed
through the same handler, so their tracebacks are redacted too.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

from core.config import get_settings
from core.redaction import redact_value

F = TypeVar("F", bound=Callable[..., Any])

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Loggers that servers give handlers of their own (bypassing redaction): routed to the root's.
SERVER_LOGGERS = ("uvicorn", "streamlit")
SERVER_ACCESS_LOGGER = "uvicorn.access"


def bind_request_id(request_id: str | None) -> contextvars.Token:
    return _request_id.set(request_id)


def current_request_id() -> str | None:
    return _request_id.get()


def _add_request_id(_logger, _method, event_dict: dict[str, Any]) -> dict[str, Any]:
    request_id = _request_id.get()
    if request_id:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _redact_secrets(_logger, _method, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Mask secrets by key and by shape in every field, the message and the rendered
    `exception`/`stack` included (so it runs after `format_exc_info`)."""
    return {key: redact_value(value, key=key) for key, value in event_dict.items()}


def _route_server_loggers_to_root() -> None:
    for name in list(logging.root.manager.loggerDict):
        if name.split(".", 1)[0] in SERVER_LOGGERS:
            server_logger = logging.getLogger(name)
            server_logger.handlers.clear()
            server_logger.propagate = True
    # The API logs each request itself (api.middleware: route template, never the query
    # string). uvicorn writes its own access line whenever its logger has a handler anywhere
    # up the chain, so it is cut off from the root, not only silenced.
    uvicorn_access = logging.getLogger(SERVER_ACCESS_LOGGER)
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False


def configure_logging(level: str | None = None, json_lines: bool | None = None) -> None:
    settings = get_settings()
    level = level or settings.log_level
    json_lines = settings.log_json if json_lines is None else json_lines
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
    ]
    renderer = structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _route_server_loggers_to_root()
    # aiosqlite's DEBUG lines print every statement with its parameters (e-mails, hashes).
    for noisy in (
        "cmdstanpy",
        "prophet",
        "httpx",
        "urllib3",
        "alembic.runtime.plugins",
        "chromadb.telemetry",
        "aiosqlite",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _wrap(func: F, before: Callable[[], Any], after: Callable[[Any, float, BaseException | None], None]) -> F:
    """Wrap a sync or async function with the same before/after hooks."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args, **kwargs):
            before()
            started = time.perf_counter()
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                after(None, time.perf_counter() - started, exc)
                raise
            after(result, time.perf_counter() - started, None)
            return result

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(func)
    def sync_wrapper(*args, **kwargs):
        before()
        started = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            after(None, time.perf_counter() - started, exc)
            raise
        after(result, time.perf_counter() - started, None)
        return result

    return sync_wrapper  # type: ignore[return-value]


def log_call(func: F) -> F:
    """Log entry and exit (or the error type) of a function at DEBUG; arguments are not logged."""
    logger = logging.getLogger(func.__module__)
    name = func.__qualname__

    def after(_result, seconds: float, error: BaseException | None) -> None:
        if error is None:
            logger.debug("call finished", extra={"function": name, "seconds": round(seconds, 6)})
        else:
            logger.debug("call failed", extra={"function": name, "error": type(error).__name__})

    return _wrap(func, lambda: logger.debug("call started", extra={"function": name}), after)


def time_execution(func: F) -> F:
    """Log how long a function took, at INFO, whether it returned or raised."""
    logger = logging.getLogger(func.__module__)
    name = func.__qualname__

    def after(_result, seconds: float, error: BaseException | None) -> None:
        logger.info(
            "timed",
            extra={"function": name, "seconds": round(seconds, 6), "ok": error is None},
        )

    return _wrap(func, lambda: None, after)
