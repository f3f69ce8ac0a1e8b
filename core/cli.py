"""The command line, `python -m core …`: each area registers its own subcommands.

An area module exposes `register(subparsers)`, adding parsers whose `func` default takes the
parsed arguments and returns an exit code. Output for people goes to stdout; errors to stderr.
Every command but `migrate` needs the schema: it is migrated first (MIGRATE_ON_START, the
default), or the command stops with "database not migrated: run `python -m core migrate`";
a database error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import CoreError

SCHEMA_FREE_COMMANDS = {"migrate"}
COMMAND_MODULES = [
    "core.db.cli",
    "core.jobs.cli",
    "core.tracking.cli",
    "core.forecasting.cli",
    "core.market.cli",
    "core.portfolio.cli",
    "core.demo",
    "core.chat.cli",
    "core.mcp_server.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Stockcast command line")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from core.logs import configure_logging

    configure_logging()
    args = build_parser().parse_args(argv)
    from sqlalchemy.exc import DBAPIError

    from core.db.migrate import NOT_MIGRATED

    try:
        if args.command not in SCHEMA_FREE_COMMANDS:
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


def _ensure_schema() -> None:
    from core.config import get_settings
    from core.db.migrate import ensure_schema

    settings = get_settings()
    ensure_schema(settings.database_url, migrate=settings.migrate_on_start)
