"""Products, prices, stock, coupons, shipping methods and tax rates."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, UtcDateTime

products = sa.Table(
    "products",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("tax_class", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("kind IN ('physical', 'digital')", name="kind"),
    sa.CheckConstraint("tax_class IN ('standard', 'reduced', 'zero')", name="tax_class"),
)

product_prices = sa.Table(
    "product_prices",
    metadata,
    sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku", ondelete="CASCADE"), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("unit_amount", sa.BigInteger, nullable=False),
    sa.CheckConstraint("unit_amount >= 0", name="unit_amount_not_negative"),
)

inventory = sa.Table(
    "inventory",
    metadata,
    sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku", ondelete="CASCADE"), primary_key=True),
    sa.Column("on_hand", sa.BigInteger, nullable=False),
    sa.Column("reserved", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # The database itself refuses oversell: available = on_hand - reserved can never go below zero.
    sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
)

coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("percent_off", sa.Integer),
    sa.Column("amount_off", sa.BigInteger),
    sa.Column("currency", sa.String(3)),
    sa.Column("max_redemptions", sa.Integer),
    sa.Column("max_per_customer", sa.Integer),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("min_subtotal", sa.BigInteger),
    sa.Column("skus", JSON),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint(
        "(percent_off IS NOT NULL AND amount_off IS NULL)"
        " OR (percent_off IS NULL AND amount_off IS NOT NULL AND currency IS NOT NULL)",
        name="one_kind_of_discount",
    ),
    sa.CheckConstraint("percent_off IS NULL OR (percent_off BETWEEN 1 AND 100)", name="percent_off_range"),
    sa.CheckConstraint("amount_off IS NULL OR amount_off > 0", name="amount_off_positive"),
)

shipping_methods = sa.Table(
    "shipping_methods",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prices", JSON, nullable=False),
    sa.Column("countries", JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

tax_rates = sa.Table(
    "tax_rates",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("standard_bp", sa.Integer, nullable=False),
    sa.Column("reduced_bp", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("standard_bp BETWEEN 0 AND 10000", name="standard_range"),
    sa.CheckConstraint("reduced_bp BETWEEN 0 AND 10000", name="reduced_range"),
)
