"""`python -m core prices load|refresh|import`: the price store from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.auth.service import find_user_by_email
from core.config import get_settings
from core.db.session import session_scope
from core.errors import NotFoundError
from core.jobs.refresh import refresh_prices
from core.market.providers import create_provider
from core.market.service import bundled_row_count, import_price_csv, load_bundled_prices


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("prices", help="load, refresh or import daily prices")
    actions = parser.add_subparsers(dest="prices_command", required=True)

    load = actions.add_parser("load", help="store the bundled prices (idempotent)")
    load.add_argument("--ticker", action="append", help="only this ticker (repeatable)")
    load.add_argument("--no-progress", action="store_true")
    load.set_defaults(func=_load)

    refresh = actions.add_parser("refresh", help="fetch missing dates from the configured provider")
    refresh.add_argument("--ticker", action="append", help="only this ticker (repeatable)")
    refresh.add_argument("--provider", help="override DATA_PROVIDER (bundled, yfinance)")
    refresh.add_argument("--no-progress", action="store_true")
    refresh.set_defaults(func=_refresh)

    upload = actions.add_parser("import", help="store a CSV price file (validated row by row)")
    upload.add_argument("file", type=Path)
    upload.add_argument("--ticker", help="the ticker, when the file has no ticker column")
    upload.add_argument("--user", required=True, help="email of the user importing")
    upload.set_defaults(func=_import)


def _load(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    settings = get_settings()
    total = bundled_row_count(settings, args.ticker)
    with tqdm(total=total, unit="row", disable=args.no_progress, file=sys.stderr) as bar, session_scope(settings) as s:
        written = load_bundled_prices(s, settings=settings, tickers=args.ticker, progress=bar.update)
    print(f"{written} new price rows stored ({total - written} already present)")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    settings = get_settings()
    provider = create_provider(args.provider or settings.data_provider, settings=settings)
    with tqdm(unit="ticker", disable=args.no_progress, file=sys.stderr) as bar, session_scope(settings) as session:
        report = refresh_prices(session, settings=settings, tickers=args.ticker, progress=bar.update, provider=provider)
    print(f"{report.rows_added} new rows from {report.provider}; {report.alerts_triggered} alert(s) triggered")
    for ticker, error in report.errors.items():
        print(f"  {ticker}: {error} (stored prices kept)", file=sys.stderr)
    return 0 if not report.errors else 1


def _import(args: argparse.Namespace) -> int:
    settings = get_settings()
    with session_scope(settings) as session:
        user = find_user_by_email(session, args.user)
        if user is None:
            raise NotFoundError(f"no user with email {args.user}")
        result = import_price_csv(
            session, user=user, content=args.file.read_bytes(), ticker=args.ticker, settings=settings
        )
    print(f"{result.rows_imported} rows stored for {', '.join(result.tickers)}")
    return 0
