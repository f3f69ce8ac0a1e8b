"""Forecast replay: prediction_history.replayed marks forecasts made by the walk-forward replay

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prediction_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replayed", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("prediction_history", schema=None) as batch_op:
        batch_op.drop_column("replayed")
