"""`python -m core portfolio import FILE --user EMAIL` (and `export`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.auth.service import find_user_by_email
from core.config import get_settings
from core.db.session import session_scope
from core.errors import NotFoundError
from core.portfolio.ledger import export_transactions, import_transactions


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("portfolio", help="import or export a user's transactions")
    actions = parser.add_subparsers(dest="portfolio_command", required=True)

    importer = actions.add_parser("import", help="import a transactions CSV (date,ticker,type,quantity,price,fee)")
    importer.add_argument("file", type=Path)
    importer.add_argument("--user", required=True, help="the owner's email")
    importer.add_argument("--mapping", help='JSON {"their header": "our column"}')
    importer.add_argument("--mapping-name", help="use (or, with --mapping, save) a named mapping")
    importer.set_defaults(func=_import)

    exporter = actions.add_parser("export", help="print a user's transactions as CSV")
    exporter.add_argument("--user", required=True)
    exporter.set_defaults(func=_export)


def _user(session, email: str):
    user = find_user_by_email(session, email)
    if user is None:
        raise NotFoundError(f"no user with email {email}")
    return user


def _import(args: argparse.Namespace) -> int:
    mapping = json.loads(args.mapping) if args.mapping else None
    with session_scope(get_settings()) as session:
        result = import_transactions(
            session,
            owner=_user(session, args.user),
            content=args.file.read_bytes(),
            mapping=mapping,
            mapping_name=None if mapping else args.mapping_name,
            save_mapping_as=args.mapping_name if mapping else None,
        )
    print(f"{result.imported} transactions imported for {', '.join(result.tickers)}")
    return 0


def _export(args: argparse.Namespace) -> int:
    with session_scope(get_settings()) as session:
        print(export_transactions(session, owner=_user(session, args.user)), end="")
    return 0
