"""Building and running the MCP server: stdio (one token for the process) or streamable HTTP
(a bearer token on every request, checked by the SDK's bearer middleware before a session
starts, and again per call by `CallerGate`)."""

from __future__ import annotations

import logging

import anyio
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

from core.auth.access_tokens import effective_scopes, verify_personal_token
from core.config import Settings
from core.db.session import session_scope
from core.errors import AuthenticationError
from mcp_server.gate import CallerGate
from mcp_server.tools import register_tools

logger = logging.getLogger(__name__)

SERVER_NAME = "stockcast"
INSTRUCTIONS = (
    "Stockcast: your portfolio, its ledger of activities, prices, forecasts with their backtested "
    "skill, backtests and realised accuracy. Every call acts as the owner of the access token."
)


def build_server(settings: Settings, *, stdio_secret: str | None = None) -> MCPServer:
    auth = None
    verifier = None
    if stdio_secret is None:
        # HTTP: the SDK refuses requests without a usable token (401) before any MCP session.
        auth = AuthSettings(issuer_url=api_url(settings), resource_server_url=None, required_scopes=["read"])
        verifier = PersonalTokenVerifier(settings)
    server = MCPServer(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        version="1.0.0",
        token_verifier=verifier,
        auth=auth,
        log_level=settings.log_level,
        middleware=[CallerGate(settings, stdio_secret=stdio_secret)],
    )
    register_tools(server, settings)
    return server


def api_url(settings: Settings) -> str:
    """Where tokens come from (the API's Settings page and /api/users/me/tokens)."""
    return f"http://{settings.api_host}:{settings.api_port}"


class PersonalTokenVerifier:
    """The SDK's `TokenVerifier` for personal access tokens (no audit here: `CallerGate` does it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _verify(self, secret: str) -> AccessToken | None:
        with session_scope(self.settings) as session:
            try:
                user, token = verify_personal_token(session, secret=secret)
            except AuthenticationError:
                return None
            return AccessToken(
                token="",  # the secret is not kept in request state
                client_id=f"token:{token.id}",
                subject=str(user.id),
                scopes=effective_scopes(user, token),
                expires_at=int(token.expires_at.timestamp()),
            )

    async def verify_token(self, token: str) -> AccessToken | None:
        return await anyio.to_thread.run_sync(self._verify, token)


def check_stdio_token(settings: Settings, secret: str) -> None:
    """Refuse to start with an unusable token (AuthenticationError), rather than fail every call."""
    with session_scope(settings) as session:
        verify_personal_token(session, secret=secret)


def http_app(settings: Settings):  # the SDK's ASGI app: core names no web framework itself
    """The streamable-HTTP MCP endpoint as an ASGI app, for uvicorn."""
    return build_server(settings).streamable_http_app(host=settings.mcp_host)


def serve_http(settings: Settings) -> None:
    import uvicorn

    logger.info("mcp server listening", extra={"host": settings.mcp_host, "port": settings.mcp_port})
    uvicorn.run(http_app(settings), host=settings.mcp_host, port=settings.mcp_port, access_log=False)


def serve_stdio(settings: Settings, secret: str) -> None:
    check_stdio_token(settings, secret)
    anyio.run(build_server(settings, stdio_secret=secret).run_stdio_async)
