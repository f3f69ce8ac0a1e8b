"""Analytics: version tokens for the figures' cache, and the indexes its queries need (issue 22)

- `ledger_version` (one token per owner) and `price_version` (one per ticker): replaced by
  every ledger write and every price or metadata write; the analytics cache keys on them.
  Seeded here for the ledgers and tickers already stored, so their figures cache at once.
- `ix_transaction_owner_ticker_date`: a holding's activities (re-read after each ledger
  write, per ticker touched) are selected by owner and ticker; `ix_transaction_owner_date`
  can only narrow them to the owner, so every activity of the owner was read and filtered.
  EXPLAIN ANALYZE on PostgreSQL with it (bench/portfolio_ledger.py --explain, 15,000
  activities): an index scan returning the ticker's 495 rows in 0.4 ms. The other statements
  of the figures were already index scans: the latest closes (a backward scan of
  uq_price_ticker_date per ticker, 0.7 ms for 30 tickers), the ledger (ix_transaction_owner_*),
  the closes (uq_price_ticker_date), the holdings (ix_stock_owner_id).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _random_token() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "md5(random()::text || clock_timestamp()::text)"
    return "lower(hex(randomblob(16)))"


def upgrade() -> None:
    op.create_table(
        "ledger_version",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_ledger_version_owner_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_ledger_version")),
    )
    op.create_table(
        "price_version",
        sa.Column("ticker", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("ticker", name=op.f("pk_price_version")),
    )
    token = _random_token()
    op.execute(
        f"INSERT INTO ledger_version (owner_id, token) SELECT owner_id, {token} FROM ("
        'SELECT DISTINCT owner_id FROM "transaction") AS owners'
    )
    op.execute(
        f"INSERT INTO price_version (ticker, token) SELECT symbol, {token} FROM ("
        "SELECT ticker AS symbol FROM price UNION SELECT symbol FROM ticker) AS known"
    )
    op.create_index("ix_transaction_owner_ticker_date", "transaction", ["owner_id", "ticker", "date"])


def downgrade() -> None:
    op.drop_index("ix_transaction_owner_ticker_date", table_name="transaction")
    op.drop_table("price_version")
    op.drop_table("ledger_version")
