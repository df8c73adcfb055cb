"""Approval requests, and refunds that name their lines, their shipping and the approval behind them.

Revision ID: 5b2e8f0d1c73
Revises: 9a6e2d4c8b17
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# As the other migrations spell the model's types: JSONB on PostgreSQL, zoned timestamps.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def UtcDateTime() -> sa.DateTime:
    return sa.DateTime(timezone=True)


revision: str = "5b2e8f0d1c73"
down_revision: str | None = "9a6e2d4c8b17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_role", sa.String(length=16), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("outcome", JSON, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'cancelled', 'expired')",
            name=op.f("ck_approval_requests_status"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_approval_requests_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
    )
    op.create_index(op.f("ix_approval_requests_order_id"), "approval_requests", ["order_id"], unique=False)
    op.create_index("ix_approval_requests_status_created", "approval_requests", ["status", "created_at"])
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("lines", JSON, nullable=True))
        batch.add_column(sa.Column("shipping_amount", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("approval_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("approval_id")
        batch.drop_column("shipping_amount")
        batch.drop_column("lines")
    op.drop_index("ix_approval_requests_status_created", table_name="approval_requests")
    op.drop_index(op.f("ix_approval_requests_order_id"), table_name="approval_requests")
    op.drop_table("approval_requests")
