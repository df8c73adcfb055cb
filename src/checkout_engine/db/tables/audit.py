"""The audit log: who did what to which record, why, and what it looked like before and after."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32), nullable=False),
    sa.Column("target_id", sa.String(128), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("before", JSON),
    sa.Column("after", JSON),
    sa.Column("request_id", sa.String(64)),
)
