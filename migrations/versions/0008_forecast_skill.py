"""Skill of the forecast shown: a cache of skill backtests keyed by configuration (issue 13)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_skill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("config_key", sa.String(length=64), nullable=False),
        sa.Column("ticker", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("first_origin", sa.Date(), nullable=False),
        sa.Column("last_origin", sa.Date(), nullable=False),
        sa.Column("data_end", sa.Date(), nullable=False),
        sa.Column("mase", sa.Float(), nullable=True),
        sa.Column("naive_mase", sa.Float(), nullable=True),
        sa.Column("skill_vs_naive", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("coverage_80", sa.Float(), nullable=True),
        sa.Column("coverage_95", sa.Float(), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("run_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_skill")),
        sa.UniqueConstraint("config_key", name=op.f("uq_forecast_skill_config_key")),
    )
    op.create_index("ix_forecast_skill_ticker_model", "forecast_skill", ["ticker", "model"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_forecast_skill_ticker_model", table_name="forecast_skill")
    op.drop_table("forecast_skill")
