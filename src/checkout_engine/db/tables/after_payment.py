"""What follows payment: provider webhook events, refunds, fulfilment (entitlements and shipment requests) and
receipts."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("object_id", sa.String(128), index=True),  # the payment (or refund...) the event is about
    sa.Column("payload", JSON, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("last_received_at", UtcDateTime, nullable=False),
    sa.Column("delivery_count", sa.Integer, nullable=False),
    # received -> processed | ignored (with the reason) | held (waits for our own state) | failed (replayable)
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("status_reason", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("order_id", sa.String(64), index=True),
    sa.Column("processed_at", UtcDateTime),
    sa.UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event_id"),
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("payment_attempt_id", sa.String(64), sa.ForeignKey("payment_attempts.id"), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    # requested (ours, not yet at the provider) -> pending -> succeeded | failed | canceled
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("provider_refund_id", sa.String(128), unique=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_by", sa.String(128), nullable=False),
    # A refund by line: [{sku, quantity, amount}] and the shipping given back, both their share of the snapshot.
    sa.Column("lines", JSON),
    sa.Column("shipping_amount", sa.BigInteger),
    # Set when a second person approved it (it then does not count against the requester's own limits).
    sa.Column("approval_id", sa.String(64)),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("amount > 0", name="amount_positive"),
)

entitlements = sa.Table(
    "entitlements",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("grant_token", sa.String(64), nullable=False, unique=True),
    sa.Column("license_key", sa.String(64), nullable=False),
    sa.Column("download_limit", sa.Integer, nullable=False),
    sa.Column("downloads_used", sa.Integer, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # One grant per order line, however often fulfilment runs.
    sa.UniqueConstraint("order_id", "sku", name="uq_entitlements_order_sku"),
)

shipment_requests = sa.Table(
    "shipment_requests",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, unique=True),
    sa.Column("lines", JSON, nullable=False),
    sa.Column("address", JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

receipts = sa.Table(
    "receipts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.UniqueConstraint("order_id", "purpose", name="uq_receipts_order_purpose"),
)
