"""The demo: bundled prices plus a demo user whose portfolio comes from a bundled
transactions file (`data/demo_transactions.csv`). `python -m core demo` seeds it (idempotent)
and prints the credentials.
"""

from __future__ import annotations

import argparse
import logging

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth.schemas import UserCreate
from core.auth.service import find_user_by_email, register_user
from core.config import Settings, get_settings
from core.db.session import session_scope
from core.db.tables import Price, Transaction, User
from core.errors import InvalidInputError
from core.market.service import bundled_row_count, load_bundled_prices
from core.portfolio.ledger import import_transactions

logger = logging.getLogger(__name__)

DEMO_TRANSACTIONS_FILE = "demo_transactions.csv"


def seed_demo(session: Session, *, settings: Settings, progress=None) -> User:
    """Load the bundled prices if missing, and create the demo user and portfolio once.

    The demo user is an admin when it is the first account. Running again changes nothing.
    """

    if not session.scalar(select(func.count()).select_from(Price)):
        load_bundled_prices(session, settings=settings, progress=progress)
    else:
        load_bundled_prices(session, settings=settings)  # cheap when present: only missing dates
    user = find_user_by_email(session, settings.demo_user_email)
    if user is None:
        password = settings.resolved_demo_password()
        try:
            data = UserCreate(email=settings.demo_user_email, password=password, full_name="Demo Analyst")
        except ValidationError as exc:
            raise InvalidInputError(f"DEMO_USER_EMAIL / DEMO_USER_PASSWORD are not usable: {exc}") from exc
        user = register_user(session, data=data)
        logger.info("demo user created", extra={"email": user.email, "role": user.role.value})
    has_ledger = session.scalar(select(func.count()).select_from(Transaction).where(Transaction.owner_id == user.id))
    if not has_ledger:
        content = (settings.bundled_data_dir / DEMO_TRANSACTIONS_FILE).read_bytes()
        import_transactions(session, owner=user, content=content)
    return user


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="seed bundled prices and the demo user (idempotent)")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    import sys

    from tqdm import tqdm

    settings = get_settings()
    with (
        tqdm(total=bundled_row_count(settings), unit="row", disable=args.no_progress, file=sys.stderr) as bar,
        session_scope(settings) as session,
    ):
        user = seed_demo(session, settings=settings, progress=bar.update)
        email, role = user.email, user.role.value
    print(f"demo ready: log in as {email} / {settings.resolved_demo_password()} (role {role})")
    return 0
