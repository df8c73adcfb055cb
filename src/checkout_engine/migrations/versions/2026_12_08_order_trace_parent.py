"""The trace of each order's checkout, which the fulfilment its payment leads to joins.

Revision ID: 2c7e9b41d5a8
Revises: 8d4a1f6e2b90
Create Date: 2026-12-08 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2c7e9b41d5a8"
down_revision: str | None = "8d4a1f6e2b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("trace_parent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("trace_parent")
