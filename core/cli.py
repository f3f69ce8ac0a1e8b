"""The command line, `python -m core …`: each area registers its own subcommands.

An area module exposes `register(subparsers)`, adding parsers whose `func` default takes the
parsed arguments and returns an exit code. Output for people goes to stdout; errors to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import CoreError

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
    try:
        return int(args.func(args) or 0)
    except CoreError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for detail in exc.details[:50]:
            print(f"  {detail}", file=sys.stderr)
        return 2
