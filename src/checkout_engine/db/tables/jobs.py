"""The job outbox, written in the same transaction as the change that needs the job, and periodic sweeps."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("run_at", UtcDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(128)),
    sa.Column("lease_expires_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
    # At most one queued or running job per dedupe key: sweeps may enqueue the same work every round.
    sa.Column("dedupe_key", sa.String(200)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'dead')", name="status"),
    sa.Index("ix_jobs_due", "status", "run_at"),
    sa.Index(
        "uq_jobs_live_dedupe_key",
        "dedupe_key",
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    ),
)

sweeps = sa.Table(
    "sweeps",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("next_run_at", UtcDateTime, nullable=False),
    sa.Column("last_owner", sa.String(128)),
    sa.Column("last_run_at", UtcDateTime),
    sa.Column("last_result", JSON),
)
