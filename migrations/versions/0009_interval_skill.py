"""Interval skill of the forecast shown: Winkler skill against naive and its DM p (issue 13)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("forecast_skill") as batch:
        batch.add_column(sa.Column("interval_skill", sa.Float(), nullable=True))
        batch.add_column(sa.Column("interval_p_value", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forecast_skill") as batch:
        batch.drop_column("interval_p_value")
        batch.drop_column("interval_skill")
