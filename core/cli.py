"""The command line, `python -m core …`: each area registers its own subcommands.

An area module exposes `register(subparsers)`, adding parsers whose `func` default takes the
parsed arguments and returns an exit code. Output for people goes to stdout; errors to stderr.
Every command but `migrate` needs the schema: it is migrated first (MIGRATE_ON_START, the
default), or the command stops with "database not migrated: run `python -m core migrate`";
a database error is one line on stderr, never a traceback. The faces outside `core` with a
command line of their own (`python -m mcp_server`) run it through `run_command`.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from core import demo
from core.chat import cli as chat_cli
from core.config import get_settings
from core.db import cli as db_cli
from core.db.migrate import NOT_MIGRATED, ensure_schema
from core.errors import CoreError
from core.forecasting import cli as forecasting_cli
from core.forecasting import training_cli
from core.jobs import cli as jobs_cli
from core.logs import configure_logging
from core.market import cli as market_cli
from core.portfolio import cli as portfolio_cli

SCHEMA_FREE_COMMANDS = {"migrate", "mcp"}
COMMAND_MODULES = [db_cli, jobs_cli, training_cli, forecasting_cli, market_cli, portfolio_cli, demo, chat_cli]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Stockcast command line")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    register_moved_mcp(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "mcp":  # what parse_args would say
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed command's `func` at the CLI's edge: the schema first, errors as one line."""
    try:
        if getattr(args, "command", None) not in SCHEMA_FREE_COMMANDS:
            _ensure_schema()
        return int(args.func(args) or 0)
    except CoreError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for detail in exc.details[:50]:
            print(f"  {detail}", file=sys.stderr)
        return 2
    except DBAPIError as exc:  # the CLI's edge: a sentence, not a traceback
        missing = "no such table" in str(exc) or "does not exist" in str(exc)
        reason = NOT_MIGRATED if missing else f"database error: {str(exc.orig).strip().splitlines()[0]}"
        print(f"error: {reason}", file=sys.stderr)
        return 2


def register_moved_mcp(subparsers: argparse._SubParsersAction) -> None:
    # The MCP server is a face of its own now (core imports no face): say where it went.
    parser = subparsers.add_parser("mcp", help="moved: run `python -m mcp_server`", add_help=False)
    parser.set_defaults(func=_moved_mcp)


def _moved_mcp(args: argparse.Namespace) -> int:
    print("error: the MCP server moved: run `python -m mcp_server` (same options)", file=sys.stderr)
    return 2


def _ensure_schema() -> None:
    settings = get_settings()
    ensure_schema(settings.database_url, migrate=settings.migrate_on_start)
