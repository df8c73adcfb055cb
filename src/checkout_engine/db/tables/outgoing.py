"""Outgoing webhooks to the shop's own systems: the endpoints registered, the events written with the changes that
caused them, and each event's delivery to each endpoint with the log of its attempts."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # chosen by the shop: "warehouse", "erp"
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("events", JSON, nullable=False),  # the event types wanted
    sa.Column("secret", sa.String(128), nullable=False),  # signs every delivery; shown once when generated
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("failing_since", UtcDateTime),  # the first failure of the current run of failures
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

outgoing_events = sa.Table(
    "outgoing_events",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # evt_…: one id, one body, however often it is sent
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),  # grows with every event of the order
    sa.Column("body", sa.Text, nullable=False),  # the exact bytes every delivery sends
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("order_id", "sequence", name="uq_outgoing_events_order_sequence"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("endpoint_id", sa.String(64), sa.ForeignKey("webhook_endpoints.id"), nullable=False),
    sa.Column("event_id", sa.String(64), sa.ForeignKey("outgoing_events.id"), nullable=False),
    # pending (due at next_attempt_at) -> delivered | dead (gave up after the retry window); replay makes it pending
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("last_latency_ms", sa.Integer),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime),
    sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'dead')", name="status"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_delivery_attempts = sa.Table(
    "webhook_delivery_attempts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", BigId, sa.ForeignKey("webhook_deliveries.id"), nullable=False, index=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
)
