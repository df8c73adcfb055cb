"""Approval requests: a dangerous action asked for by one staff member, waiting for a second one."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, UtcDateTime

approval_requests = sa.Table(
    "approval_requests",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("params", JSON, nullable=False),
    # What the request moves, for the queue: the refund's amount, or none for a state change.
    sa.Column("amount", sa.BigInteger),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_by", sa.String(128), nullable=False),
    sa.Column("requested_role", sa.String(16), nullable=False),
    # pending -> approved | rejected | cancelled | expired, once
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("decided_by", sa.String(128)),
    sa.Column("decided_role", sa.String(16)),
    sa.Column("decision_reason", sa.Text),
    sa.Column("decided_at", UtcDateTime),
    # What the approved action did (the refund record, the order's new state).
    sa.Column("outcome", JSON),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled', 'expired')", name="status"),
    sa.Index("ix_approval_requests_status_created", "status", "created_at"),
)
