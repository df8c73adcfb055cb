"""Orders, their immutable pricing snapshots and their append-only event history."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("cart_id", sa.String(64), sa.ForeignKey("carts.id"), nullable=False, index=True),
    sa.Column("state", sa.String(32), nullable=False, index=True),
    # Bumped by every change: the compare-and-set that makes racing writers lose visibly.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("needs_review", sa.Boolean, nullable=False),
    sa.Column("review_reason", sa.Text),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("customer_id", sa.String(128)),
    sa.Column("email", sa.String(320)),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("trace_parent", sa.String(64)),  # the checkout's W3C trace context, when traces are kept
    # Until when an unpaid order holds its stock; the expiry sweep stops its payment and releases it after that.
    sa.Column("expires_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("total >= 0", name="total_not_negative"),
    sa.Index("ix_orders_state_expires_at", "state", "expires_at"),
    # A cart checks out into at most one live order: the database enforces it. An order cancelled before it ever
    # had a payment (its checkout gave up) frees the cart for a new one.
    sa.Index(
        "uq_orders_live_cart",
        "cart_id",
        unique=True,
        postgresql_where=sa.text("state <> 'cancelled'"),
        sqlite_where=sa.text("state <> 'cancelled'"),
    ),
)

pricing_snapshots = sa.Table(
    "pricing_snapshots",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

order_events = sa.Table(
    "order_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("from_state", sa.String(32)),
    sa.Column("to_state", sa.String(32)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("provider_event_id", sa.String(128)),
    sa.Column("at", UtcDateTime, nullable=False),
)
