"""Who is calling: every tool call and resource read is authorised, rate limited and audited.

`CallerGate` is a server middleware (the SDK's `ServerMiddleware`), so it wraps every inbound
request, present tools and future ones alike. For `tools/call` and `resources/read` it takes
the personal access token (over HTTP the request's `Authorization: Bearer`, over stdio the
token the server was started with), checks it (`authenticate_personal_token`: revoked,
expired, deactivated user, scope; `write` for the tools in `WRITE_TOOLS`), counts the call
against `RATE_LIMIT_MCP` per token, and records an audit event (`mcp.call`, or `mcp.refused`
with the reason). The caller is then available to the handler as `current_caller()`.
A refusal answers a tool call with an error result and a resource read with a protocol error.
"""

from __future__ import annotations

import contextvars
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import anyio
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_REQUEST, CallToolResult, TextContent

from core.audit import record_audit
from core.auth.access_token_schemas import TokenScope
from core.auth.access_tokens import authenticate_personal_token, effective_scopes, find_personal_token
from core.config import Settings
from core.db.session import session_scope
from core.errors import AuthenticationError, CoreError, RateLimitedError

logger = logging.getLogger(__name__)

GATED_METHODS = frozenset({"tools/call", "resources/read"})
WRITE_TOOLS = frozenset({"record_activity"})


@dataclass(frozen=True)
class Caller:
    user_id: int
    token_id: int
    scopes: tuple[str, ...]


_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("mcp_caller", default=None)


def current_caller() -> Caller:
    caller = _caller.get()
    if caller is None:  # a handler reached without the gate: a wiring bug, never a client's doing
        raise AuthenticationError("no authorised caller for this request")
    return caller


def bearer_secret(headers: Any) -> str | None:
    value = headers.get("authorization") if headers is not None else None
    if value and value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


class CallerGate:
    def __init__(self, settings: Settings, *, stdio_secret: str | None = None) -> None:
        self.settings = settings
        self.stdio_secret = stdio_secret
        # Redis when configured, so that several server processes share each token's budget.
        # (The sync storage hands unknown options to redis-py: no `implementation=` here.)
        storage = (
            storage_from_string(
                settings.redis_url,
                key_prefix="stockcast-mcp",
                socket_timeout=settings.redis_timeout_seconds,
                socket_connect_timeout=settings.redis_timeout_seconds,
            )
            if settings.redis_url
            else storage_from_string("memory://")
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.limits = parse_many(settings.rate_limit_mcp)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method not in GATED_METHODS:
            return await call_next(ctx)
        params = ctx.params or {}
        target = str(params.get("name") or params.get("uri") or "")
        scope = TokenScope.WRITE if ctx.method == "tools/call" and target in WRITE_TOOLS else TokenScope.READ
        secret = bearer_secret(getattr(ctx.request, "headers", None)) if ctx.request is not None else None
        secret = secret or self.stdio_secret
        transport = "http" if ctx.request is not None else "stdio"
        try:
            caller = await anyio.to_thread.run_sync(self.authorise, secret, ctx.method, target, scope, transport)
        except CoreError as exc:
            if ctx.method == "tools/call":
                return CallToolResult(content=[TextContent(type="text", text=exc.message)], is_error=True)
            raise MCPError(code=INVALID_REQUEST, message=exc.message) from exc
        reset = _caller.set(caller)
        try:
            return await call_next(ctx)
        finally:
            _caller.reset(reset)

    def authorise(self, secret: str | None, method: str, target: str, scope: TokenScope, transport: str) -> Caller:
        """Check the token, count the call, audit it; the refusal is audited and raised."""
        detail = {"method": method, "target": target[:100], "transport": transport}
        with session_scope(self.settings) as session:
            try:
                if not secret:
                    raise AuthenticationError("no access token: send 'Authorization: Bearer sc_pat_…'")
                user, token = authenticate_personal_token(session, secret=secret, scope=scope)
                self._count(token.id)
            except CoreError as exc:
                refused = exc
            else:
                record_audit(session, user=user, action="mcp.call", target=f"token:{token.id}", detail=detail)
                return Caller(user_id=user.id, token_id=token.id, scopes=tuple(effective_scopes(user, token)))
            known = find_personal_token(session, secret=secret) if secret else None
            record_audit(
                session,
                user=known.user_id if known else None,
                action="mcp.refused",
                target=f"token:{known.id}" if known else None,
                detail=detail | {"reason": refused.message},
            )
        logger.info("mcp call refused", extra={"method": method, "target": target, "reason": refused.message})
        raise refused

    def _count(self, token_id: int) -> None:
        key = f"token:{token_id}"
        for item in self.limits:
            if not self.limiter.hit(item, "mcp", key):
                stats = self.limiter.get_window_stats(item, "mcp", key)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimitedError(f"too many calls; try again in {retry_after} s", retry_after=retry_after)
