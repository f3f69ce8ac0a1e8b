"""Ids are never reused: SQLite tables of user-visible things get AUTOINCREMENT

Without it SQLite hands out max(id) + 1, so deleting the newest activity and recording
another gave the new one the deleted one's id (a link or an audit row then named the wrong
thing). PostgreSQL's sequences never reuse ids; nothing changes there.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose ids users see; none is referenced by a foreign key, so each can be rebuilt.
TABLES = (
    "transaction",
    "stock",
    "watchlist_item",
    "price_alert",
    "import_mapping",
    "personal_access_token",
    "chat_history",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
