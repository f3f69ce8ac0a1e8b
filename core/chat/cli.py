"""`python -m core chat reindex [--email E]`: rebuild the chat index (everyone, or one user)."""

from __future__ import annotations

import argparse
import time

from core.auth.service import find_user_by_email
from core.chat.service import reindex_all, reindex_user
from core.config import get_settings
from core.db.session import session_scope
from core.errors import NotFoundError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chat", help="the portfolio chat")
    commands = parser.add_subparsers(dest="chat_command", required=True)
    reindex = commands.add_parser("reindex", help="rebuild the chat's search index from the database")
    reindex.add_argument("--email", help="only this user's documents (default: every active user)")
    reindex.set_defaults(func=_reindex)


def _reindex(args: argparse.Namespace) -> int:
    settings = get_settings()
    started = time.perf_counter()
    with session_scope(settings) as session:
        if args.email:
            user = find_user_by_email(session, args.email)
            if user is None:
                raise NotFoundError(f"no user with e-mail {args.email}")
            count = reindex_user(session, settings=settings, user=user)
        else:
            count = reindex_all(session, settings=settings)
    print(f"chat index: {count} documents in {settings.chroma_dir} ({time.perf_counter() - started:.1f} s)")
    return 0
