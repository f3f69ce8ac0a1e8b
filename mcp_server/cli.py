"""`python -m mcp_server`: the MCP server over stdio (default) or streamable HTTP."""

from __future__ import annotations

import argparse
import sys

from core.cli import run_command
from core.config import get_settings
from core.errors import AuthenticationError
from core.logs import configure_logging
from mcp_server.server import serve_http, serve_stdio


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mcp_server",
        description="Serve the MCP server: tools for AI assistants, authorised by a personal access token "
        "(Settings page); stdio for a desktop client, or streamable HTTP.",
    )
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--token", help="stdio: the access token to act as (default: MCP_TOKEN)")
    parser.add_argument("--host", help="http: address to bind (default: MCP_HOST)")
    parser.add_argument("--port", type=int, help="http: port (default: MCP_PORT)")
    parser.set_defaults(func=run_mcp, command="mcp-server")
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    return run_command(build_parser().parse_args(argv))


def run_mcp(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.transport == "http":
        overrides = {key: value for key, value in (("mcp_host", args.host), ("mcp_port", args.port)) if value}
        serve_http(settings.model_copy(update=overrides))
        return 0
    secret = args.token or (settings.mcp_token.get_secret_value() if settings.mcp_token else "")
    if not secret:
        print(
            "error: give an access token with --token or MCP_TOKEN (create one on the Settings page)", file=sys.stderr
        )
        return 2
    try:
        serve_stdio(settings, secret)
    except AuthenticationError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0
