"""Idempotency keys, inventory reservations, coupon redemptions and payment attempts."""

import sqlalchemy as sa

from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.types import JSON, BigId, UtcDateTime

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("scope", sa.String(128), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("request_method", sa.String(8), nullable=False),
    sa.Column("request_path", sa.String(512), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("request_params", JSON, nullable=False),
    # Where a request that stopped half-way resumes; "finished" once the response below is final.
    sa.Column("recovery_point", sa.String(32), nullable=False),
    sa.Column("recovery_data", JSON, nullable=False),
    # Who is executing it now; a lock older than the lock timeout belongs to a request that died.
    sa.Column("lock_token", sa.String(64)),
    sa.Column("locked_at", UtcDateTime),
    sa.Column("response_status", sa.Integer),
    # The answer's exact bytes: a replay must be identical, and JSONB would reorder the keys.
    sa.Column("response_body", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("last_run_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
)

inventory_reservations = sa.Table(
    "inventory_reservations",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("settled_at", UtcDateTime),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint("status IN ('active', 'committed', 'released')", name="status"),
    sa.Index("ix_inventory_reservations_active_expiry", "status", "expires_at"),
)

coupon_redemptions = sa.Table(
    "coupon_redemptions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("coupon_code", sa.String(64), sa.ForeignKey("coupons.code"), nullable=False, index=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, unique=True),
    sa.Column("customer_key", sa.String(400)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("status IN ('reserved', 'consumed', 'released')", name="status"),
)

payment_attempts = sa.Table(
    "payment_attempts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("provider_payment_id", sa.String(128)),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    # What the provider actually took (captured), the ceiling for refunds; 0 until it succeeds.
    sa.Column("amount_received", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("raw_status", sa.String(64)),
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("metadata_hash", sa.String(64), nullable=False),
    sa.Column("client_secret", sa.String(255)),
    sa.Column("last_error_code", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("provider", "provider_payment_id", name="uq_payment_attempts_provider_payment"),
    # The pending sweep pages open attempts by creation time, the order the provider's list endpoint answers in.
    sa.Index("ix_payment_attempts_created_at", "created_at", "id"),
)

# The idempotency key each provider operation on one of our records (a capture or a cancel of an attempt, a refund)
# is sent with. The provider stores a refusal under its key and replays it for a day, so a key that met one is spent
# and the next try of the operation, decided afresh, goes out under the next generation's key. Append-only.
provider_keys = sa.Table(
    "provider_keys",
    metadata,
    sa.Column("record_id", sa.String(64), primary_key=True),
    sa.Column("operation", sa.String(32), primary_key=True),
    sa.Column("generation", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("spent_at", UtcDateTime),
    sa.Column("spent_because", sa.String(255)),
)
