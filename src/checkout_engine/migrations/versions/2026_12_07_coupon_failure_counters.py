"""Coupon failures as one counter row per client address and per cart, incremented atomically.

The old table held one row per failure, counted before inserting; its rows only ever mattered for ten minutes,
so they are dropped rather than converted.

Revision ID: 3f8d2c61a9e4
Revises: 7c41e9a2b5d3
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f8d2c61a9e4"
down_revision: str | None = "7c41e9a2b5d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_coupon_failures_cart_id"), table_name="coupon_failures")
    op.drop_index(op.f("ix_coupon_failures_client_address"), table_name="coupon_failures")
    op.drop_table("coupon_failures")
    op.create_table(
        "coupon_failures",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.CheckConstraint("scope IN ('address', 'cart')", name=op.f("ck_coupon_failures_scope")),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_coupon_failures")),
    )


def downgrade() -> None:
    op.drop_table("coupon_failures")
    op.create_table(
        "coupon_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("cart_id", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_failures")),
    )
    op.create_index(op.f("ix_coupon_failures_cart_id"), "coupon_failures", ["cart_id"], unique=False)
    op.create_index(op.f("ix_coupon_failures_client_address"), "coupon_failures", ["client_address"], unique=False)
