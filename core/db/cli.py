"""`python -m core migrate`: bring the database schema to the newest revision."""

from __future__ import annotations

import argparse

from core.config import get_settings
from core.db.migrate import upgrade_to_head


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    parser.set_defaults(func=_migrate)


def _migrate(_args: argparse.Namespace) -> int:
    upgrade_to_head(get_settings().database_url)
    print("database is at the newest revision")
    return 0
