"""Staff API keys and reconciliation runs with their findings."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    # Only a hash is kept: the key itself is shown once, when it is created.
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("key_prefix", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    sa.CheckConstraint("role IN ('viewer', 'support', 'finance', 'admin')", name="role"),
)

reconciliation_runs = sa.Table(
    "reconciliation_runs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("since", UtcDateTime, nullable=False),
    sa.Column("checked", JSON, nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("repairs", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    # Provider time up to which this run looked: the next run starts a little before it.
    sa.Column("cursor", UtcDateTime),
    sa.Column("error", sa.Text),
    sa.Column("started_at", UtcDateTime, nullable=False, index=True),
    sa.Column("finished_at", UtcDateTime),
)

reconciliation_findings = sa.Table(
    "reconciliation_findings",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", BigId, sa.ForeignKey("reconciliation_runs.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    # What the finding is about (an order id, a provider payment or refund id, an event id).
    sa.Column("subject", sa.String(128), nullable=False),
    sa.Column("order_id", sa.String(64), index=True),
    sa.Column("believed", JSON),
    sa.Column("provider_says", JSON),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("resolved_at", UtcDateTime),
    sa.Column("resolved_by", sa.String(128)),
    # One open finding per kind and subject, however many runs see it (runs may overlap).
    sa.Index(
        "uq_reconciliation_findings_open",
        "kind",
        "subject",
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    ),
)

staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),  # argon2id
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("disabled_at", UtcDateTime),
    sa.CheckConstraint("role IN ('viewer', 'support', 'finance', 'admin')", name="role"),
)
