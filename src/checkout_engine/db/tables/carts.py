"""Carts and their lines, and the record of failed coupon attempts that feeds the brute-force limit."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

carts = sa.Table(
    "carts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("customer_id", sa.String(128)),
    sa.Column("email", sa.String(320)),
    sa.Column("country", sa.String(2)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("coupon_code", sa.String(64)),
    sa.Column("shipping_address", JSON),
    sa.Column("shipping_method", sa.String(64)),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("status IN ('open', 'frozen')", name="status"),
)

cart_lines = sa.Table(
    "cart_lines",
    metadata,
    sa.Column("cart_id", sa.String(64), sa.ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.CheckConstraint("quantity BETWEEN 1 AND 1000", name="quantity_range"),
)

coupon_failures = sa.Table(
    "coupon_failures",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("cart_id", sa.String(64), nullable=False, index=True),
    sa.Column("client_address", sa.String(64), index=True),
    sa.Column("at", UtcDateTime, nullable=False),
)
