"""Protective middleware, as pure ASGI: rate limits, secure headers, request size limit.

Each middleware applies to every route, present and future; none needs a route to opt in.

- `RateLimitMiddleware`: the rules in RATE_RULES (log-in, sign-up, expensive endpoints) are
  counted with the `limits` library, in Redis when REDIS_URL is set (shared by all API
  processes), in memory otherwise. Over the limit: 429 with `Retry-After` (seconds). When the
  storage fails (Redis down), requests are let through and a warning is logged.
- Security headers (`core.http_headers.SecurityHeadersMiddleware`, shared with the dashboard)
  with the API's CSP (`api_csp`: strict for the JSON API, one that lets /docs and /redoc load
  their CDN assets), HSTS only on HTTPS requests, nosniff, frame denial, no referrer.
- `BodySizeLimitMiddleware`: 413 when a request body is larger than MAX_REQUEST_BYTES,
  whether announced by Content-Length or streamed in chunks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.responses import JSONResponse

from core.config import Settings

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class RateRule:
    """Requests matching `methods` and `pattern` share a budget named `name`, per caller.

    `setting` names the Settings field holding the limit (`"10/minute"`, `"5/second;100/hour"`).
    `per_token`: count per bearer token when one is sent (else per client address); log-in and
    sign-up are always counted per address, so rotating credentials does not help a guesser.
    """

    name: str
    methods: frozenset[str]
    pattern: re.Pattern[str]
    setting: str
    per_token: bool = False

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and self.pattern.search(path) is not None


_ANY = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Extend here when an expensive endpoint lands outside these prefixes.
RATE_RULES: tuple[RateRule, ...] = (
    RateRule("login", frozenset({"POST"}), re.compile(r"^/api/auth/token/?$"), "rate_limit_auth"),
    RateRule("signup", frozenset({"POST"}), re.compile(r"^/api/users/?$"), "rate_limit_auth"),
    # Polling a forecast's skill is cheap (each configuration is backtested once): not limited.
    RateRule(
        "forecast",
        _ANY,
        re.compile(r"^/api/(forecasts?|backtests?)(?!/[^/]+/skill$)(/|$)"),
        "rate_limit_expensive",
        True,
    ),
    RateRule("chat", _WRITE, re.compile(r"^/api/chat(/|$)"), "rate_limit_expensive", True),
    RateRule("jobs", _WRITE, re.compile(r"^/api/jobs(/|$)"), "rate_limit_expensive", True),
    RateRule("import", _WRITE, re.compile(r"/import(/|$)"), "rate_limit_expensive", True),
)


def client_address(scope: Scope) -> str:
    """The client's address: the peer, or what a trusted proxy vouches for (api.proxies)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def make_rate_limit_storage(settings: Settings) -> Storage:
    if settings.redis_url:
        uri = "async+" + settings.redis_url  # redis:// → async+redis://, rediss:// → async+rediss://
        timeouts = {
            "socket_timeout": settings.redis_timeout_seconds,
            "socket_connect_timeout": settings.redis_timeout_seconds,
        }
        return storage_from_string(
            uri, implementation="redispy", wrap_exceptions=True, key_prefix="stockcast", **timeouts
        )
    return storage_from_string("async+memory://")


async def send_json(send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(key.lower().encode(), value.encode()) for key, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, storage: Storage, rules: tuple[RateRule, ...] = RATE_RULES) -> None:
        self.app = app
        self.limiter = MovingWindowRateLimiter(storage)
        self.rules = rules
        self._parsed: dict[tuple[str, int], list[RateLimitItem]] = {}

    def _limits(self, text: str, shares: int) -> list[RateLimitItem]:
        """The limits of `text`, each cut to a 1/`shares` share: API worker processes counting
        in memory each get a share, so together they never allow more than the limit."""
        if (text, shares) not in self._parsed:
            items = parse_many(text)
            self._parsed[text, shares] = [
                type(item)(max(1, item.amount // shares), item.multiples, item.namespace) for item in items
            ]
        return self._parsed[text, shares]

    def _key(self, rule: RateRule, scope: Scope) -> str:
        authorization = header(scope, b"authorization") if rule.per_token else None
        if authorization:
            return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:24]
        return "ip:" + client_address(scope)

    async def _retry_after(self, scope: Scope) -> int | None:
        """Seconds to wait when a matching rule's budget is spent, else None (and the hit is counted)."""
        settings: Settings = scope["app"].state.settings
        if not settings.rate_limit_enabled:
            return None
        method, path = scope["method"], scope["path"]
        # Redis is one count for every process; memory is one per process.
        shares = 1 if settings.redis_url else getattr(scope["app"].state, "worker_processes", 1)
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            key = self._key(rule, scope)
            for item in self._limits(getattr(settings, rule.setting), shares):
                if not await self.limiter.hit(item, rule.name, key):
                    stats = await self.limiter.get_window_stats(item, rule.name, key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            retry_after = await self._retry_after(scope)
        except Exception:  # the storage is down: serve rather than fail every request
            logger.warning("rate limit storage unavailable; request not counted", exc_info=True)
            retry_after = None
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        logger.info("rate limited", extra={"path": scope["path"], "retry_after": retry_after})
        await send_json(
            send,
            429,
            {"detail": f"too many requests; try again in {retry_after} s"},
            {"Retry-After": str(retry_after)},
        )


# The JSON API needs nothing loaded by a browser; the docs pages load FastAPI's CDN assets and
# run one inline script each.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; "
    "connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_PATHS = ("/docs", "/redoc")


def api_csp(path: str) -> str:
    """The API's Content-Security-Policy for a path (`SecurityHeadersMiddleware(csp_for=…)`)."""
    return DOCS_CSP if path.startswith(DOCS_PATHS) else API_CSP


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int = scope["app"].state.settings.max_request_bytes
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        response_started = False
        refused = False

        async def counting_receive() -> Message:
            # A chunked body over the limit: answer 413 now, and tell the app the client left
            # (whatever the app then tries to send is dropped).
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not response_started:
                    refused = True
                    await self._refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise
            # The app failed on the cut-off body; the client already has its 413.

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        await send_json(send, 413, {"detail": f"request body larger than {limit} bytes"}, {"Connection": "close"})


def _out_of_range(_request, _error: Exception) -> JSONResponse:
    return JSONResponse({"detail": "a value in the request is out of range or malformed for storage"}, status_code=422)


def is_bad_input(error: Exception) -> bool:
    """A database error caused by the value sent: SQLSTATE class 22 ("data exception"), or the
    driver refusing to encode a parameter (asyncpg: an int beyond int32, a NUL in text)."""
    from sqlalchemy.exc import DataError

    if isinstance(error, DataError):
        return True
    orig = getattr(error, "orig", None)
    cause = getattr(orig, "__cause__", None) or orig
    sqlstate = getattr(cause, "sqlstate", None) or getattr(orig, "sqlstate", None) or ""
    return str(sqlstate).startswith("22") or isinstance(cause, ValueError)


async def handle_database_error(request, error: Exception) -> JSONResponse:
    """Input the schema allows but the database cannot store: 422. Anything else stays a 500."""
    if not is_bad_input(error):
        raise error
    logger.info("database refused request data", extra={"error": type(error).__name__})
    return _out_of_range(request, error)


async def handle_overflow(request, error: OverflowError) -> JSONResponse:
    # SQLite's driver raises a bare OverflowError for integers beyond 64 bits; any other
    # overflow is a bug of ours and stays a 500.
    if "SQLite INTEGER" not in str(error):
        raise error
    return _out_of_range(request, error)


def install_input_error_handlers(app) -> None:
    """Input the schema allows but the database cannot store answers 422, not 500."""
    from sqlalchemy.exc import DBAPIError

    app.add_exception_handler(DBAPIError, handle_database_error)
    app.add_exception_handler(OverflowError, handle_overflow)
