"""Ledger: deposits and withdrawals (no ticker), and an amount column on transactions (issue 12)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = ("buy", "sell", "dividend", "fee")
NEW_TYPES = (*OLD_TYPES, "deposit", "withdrawal")


def _type_enum(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="transaction_type", native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    # The type's CHECK constraint is dropped and recreated around the change (batch mode
    # rebuilds the table on SQLite; PostgreSQL alters it in place).
    with op.batch_alter_table("transaction", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_transaction_transaction_type"), type_="check")
        batch_op.alter_column("ticker", existing_type=sa.String(length=16), nullable=True)
        batch_op.add_column(sa.Column("amount", sa.Float(), server_default="0", nullable=False))
        batch_op.create_check_constraint("amount_not_negative", "amount >= 0")
        batch_op.create_check_constraint("transaction_type", sa.column("type").in_(NEW_TYPES))


def downgrade() -> None:
    # Cash entries have no place in the old schema: they are removed with the column.
    op.execute(sa.text("DELETE FROM \"transaction\" WHERE type IN ('deposit', 'withdrawal') OR ticker IS NULL"))
    with op.batch_alter_table("transaction", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_transaction_transaction_type"), type_="check")
        batch_op.drop_constraint(op.f("ck_transaction_amount_not_negative"), type_="check")
        batch_op.drop_column("amount")
        batch_op.alter_column("ticker", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_check_constraint("transaction_type", sa.column("type").in_(OLD_TYPES))
