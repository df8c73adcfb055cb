"""Carts and their lines, and the counters of failed coupon attempts that feed the brute-force limits."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, UtcDateTime

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

# One counter row per client address and per cart: a failed attempt is one atomic upsert that returns the new
# count, so concurrent attempts can never all read the same count and slip past the limit together.
coupon_failures = sa.Table(
    "coupon_failures",
    metadata,
    sa.Column("scope", sa.String(16), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("window_started_at", UtcDateTime, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.CheckConstraint("scope IN ('address', 'cart')", name="scope"),
)
