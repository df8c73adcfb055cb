"""Provider idempotency keys kept beside our records, one generation per try of an operation.

Revision ID: 7c41e9a2b5d3
Revises: 4954dae310df
Create Date: 2026-12-07 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c41e9a2b5d3"
down_revision: str | None = "4954dae310df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_keys",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spent_because", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("record_id", "operation", "generation", name=op.f("pk_provider_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_provider_keys_key")),
    )


def downgrade() -> None:
    op.drop_table("provider_keys")
