"""Market data and the transaction ledger: tickers, transactions, watchlist, alerts, import mappings

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticker",
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("sector", sa.String(length=100), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_ticker")),
    )
    op.create_table(
        "transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("ticker", sa.String(length=16), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "buy",
                "sell",
                "dividend",
                "fee",
                name="transaction_type",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("fee", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_transaction_fee_not_negative")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_transaction_price_not_negative")),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_transaction_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_transaction_owner_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction")),
    )
    with op.batch_alter_table("transaction", schema=None) as batch_op:
        batch_op.create_index("ix_transaction_owner_date", ["owner_id", "date"], unique=False)

    op.create_table(
        "watchlist_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("ticker", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_watchlist_item_owner_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlist_item")),
        sa.UniqueConstraint("owner_id", "ticker", name="uq_watchlist_item_owner_ticker"),
    )
    with op.batch_alter_table("watchlist_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watchlist_item_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "price_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("ticker", sa.String(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "above",
                "below",
                "move_pct",
                name="alert_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("triggered_date", sa.Date(), nullable=True),
        sa.Column("triggered_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_price_alert_owner_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_alert")),
    )
    with op.batch_alter_table("price_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_alert_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_price_alert_ticker"), ["ticker"], unique=False)

    op.create_table(
        "import_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_import_mapping_owner_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mapping")),
        sa.UniqueConstraint("owner_id", "name", name="uq_import_mapping_owner_name"),
    )
    with op.batch_alter_table("import_mapping", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_mapping_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_mapping", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_mapping_owner_id"))

    op.drop_table("import_mapping")
    with op.batch_alter_table("price_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_alert_ticker"))
        batch_op.drop_index(batch_op.f("ix_price_alert_owner_id"))

    op.drop_table("price_alert")
    with op.batch_alter_table("watchlist_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watchlist_item_owner_id"))

    op.drop_table("watchlist_item")
    with op.batch_alter_table("transaction", schema=None) as batch_op:
        batch_op.drop_index("ix_transaction_owner_date")

    op.drop_table("transaction")
    op.drop_table("ticker")
