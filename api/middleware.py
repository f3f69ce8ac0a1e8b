"""Request context, access log and metrics, as one pure ASGI middleware; and `install_middleware`.

For every HTTP request:
- a request id: the caller's `X-Request-ID` when it is a short safe token, else a new one;
  bound into every log line (`core.logs.bind_request_id`) and echoed in the response;
- the client address bound for the audit log (`core.audit.bind_client_ip`): the peer, or what a
  trusted proxy vouches for (`api.proxies`);
- one access-log line (method, route template, status, milliseconds — never the query
  string, headers or body, so no secret reaches the log);
- Prometheus request count and latency by route template and status (`core.prometheus_metrics`).
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from limits import parse_many

from api.errors import UnhandledErrorMiddleware
from api.openapi import install_error_schema
from api.proxies import TrustedProxyMiddleware
from api.security import (
    ASGIApp,
    BodySizeLimitMiddleware,
    Message,
    RateLimitMiddleware,
    Receive,
    Scope,
    Send,
    api_csp,
    client_address,
    header,
    install_input_error_handlers,
    make_rate_limit_storage,
)
from core import prometheus_metrics as metrics
from core.audit import bind_client_ip, reset_client_ip
from core.config import Settings
from core.http_headers import SecurityHeadersMiddleware
from core.logs import bind_request_id
from core.telemetry import configure_tracing

logger = logging.getLogger("api.access")

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
UNMATCHED_ROUTE = "unmatched"  # 404s for unknown paths share one label: no label per scanned URL


def incoming_request_id(scope: Scope) -> str:
    given = header(scope, REQUEST_ID_HEADER)
    if given and _SAFE_REQUEST_ID.match(given):
        return given
    # A version-4 UUID from `random`, not the OS: os.urandom releases the GIL for its system
    # call, and the event loop then waits for a worker thread's switch interval to get it back.
    return uuid.UUID(int=random.getrandbits(128), version=4).hex


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope)
        id_token = bind_request_id(request_id)
        ip_token = bind_client_ip(client_address(scope))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            metrics.observe_request(method=scope["method"], route=route, status=status, seconds=seconds)
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "ms": round(seconds * 1000, 2),
                },
            )
            reset_client_ip(ip_token)
            id_token.var.reset(id_token)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the stack (plus the handlers for unstorable input and the corrected 422 schema);
    Starlette runs the last added middleware first, so this reads inside-out.

    Request order: trusted proxies → request context → security headers → unhandled errors →
    CORS → body size → rate limit → app. The client address is settled before anything reads
    it; the request id and headers are on every answer, 413, 429, 500 and 503 included; and
    CORS answers browsers' preflights before anything is counted.
    """
    for limit in (settings.rate_limit_auth, settings.rate_limit_expensive):
        parse_many(limit)  # a malformed limit fails at start, naming the value
    app.add_middleware(RateLimitMiddleware, storage=make_rate_limit_storage(settings))
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials="*" not in settings.cors_origins,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, csp_for=api_csp)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(TrustedProxyMiddleware)
    install_input_error_handlers(app)
    install_error_schema(app)


def install_tracing(app: FastAPI, settings: Settings) -> None:
    """Trace every request when OTLP_ENDPOINT is set (health checks and scrapes excepted)."""
    provider = configure_tracing(settings, service="api")
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="/health,/metrics,/ping")
