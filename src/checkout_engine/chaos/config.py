"""The options of one chaos run, its secrets, and the engine settings its processes run with."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from checkout_engine.settings import Settings

SECRET_KEY = "sk_test_chaos"
PUBLISHABLE_KEY = "pk_test_chaos"

# Short enough that reservations expire, abandoned checkouts complete and reconciliation runs within a 30 s run;
# long enough that a customer who pays at once is not overtaken by expiry on a loaded machine.
RESERVATION_TTL_SECONDS = 10
SWEEP_INTERVAL_SECONDS = 1
RECONCILE_PENDING_AFTER_SECONDS = 4
RECONCILE_INTERVAL_SECONDS = 10
# A worker silent for this long is presumed dead; longer than any one job (provider calls time out sooner).
JOB_LEASE_SECONDS = 6
# A request holding a key this long is presumed dead (its API was killed): a retry or the completer resumes it.
IDEMPOTENCY_LOCK_SECONDS = 4
# The simulator holds a timed-out call open for up to 120 s; the engine gives up on it after this.
PROVIDER_TIMEOUT_SECONDS = 2
# Delayed payment methods settle on their own after this long.
SETTLE_DELAY_MS = 1500
# A jump of the simulator's clock: past the 24 h the provider keeps idempotency keys, short of the 3 days a
# pm_card_refundPending refund stays pending. A jump acts on the whole account, so a run makes at most two.
CLOCK_JUMP_SECONDS = 25 * 3600
CLOCK_JUMPS_PER_RUN = 2
# Every journey uses its own customer, so the velocity check must not flag the shop's busiest minute.
VELOCITY_LIMIT_PER_HOUR = 100_000


@dataclass(frozen=True, slots=True)
class ChaosOptions:
    duration: float
    customers: int
    seed: int
    database_url: str | None = None
    json_path: Path | None = None
    skip: frozenset[str] = frozenset()  # journey kinds left out
    # How long draining may take before the system counts as stuck (a violation).
    drain_timeout: float = 90.0


@dataclass(frozen=True, slots=True)
class Secrets:
    """Fresh per run, so a stray process of an earlier run can never talk to this one."""

    admin_key: str = field(default_factory=lambda: f"chaos-admin-{secrets.token_hex(12)}")
    webhook_secret: str = field(default_factory=lambda: f"whsec_chaos_{secrets.token_hex(12)}")


def engine_environment(*, database_url: str, sim_url: str, keys: Secrets) -> dict[str, str]:
    """``CHECKOUT_*`` variables for the API and worker processes (and, through ``engine_settings``, for the
    reconciliation run made in-process)."""
    return {
        "CHECKOUT_DATABASE_URL": database_url,
        "CHECKOUT_PROVIDER": "stripe",
        "CHECKOUT_STRIPE_API_BASE": sim_url,
        "CHECKOUT_STRIPE_SECRET_KEY": SECRET_KEY,
        "CHECKOUT_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "CHECKOUT_STRIPE_WEBHOOK_SECRET": keys.webhook_secret,
        "CHECKOUT_BOOTSTRAP_ADMIN_KEY": keys.admin_key,
        "CHECKOUT_RESERVATION_TTL_SECONDS": str(RESERVATION_TTL_SECONDS),
        "CHECKOUT_SWEEP_INTERVAL_SECONDS": str(SWEEP_INTERVAL_SECONDS),
        "CHECKOUT_RECONCILE_PENDING_AFTER_SECONDS": str(RECONCILE_PENDING_AFTER_SECONDS),
        "CHECKOUT_RECONCILE_INTERVAL_SECONDS": str(RECONCILE_INTERVAL_SECONDS),
        "CHECKOUT_JOB_LEASE_SECONDS": str(JOB_LEASE_SECONDS),
        "CHECKOUT_IDEMPOTENCY_LOCK_SECONDS": str(IDEMPOTENCY_LOCK_SECONDS),
        "CHECKOUT_PROVIDER_TIMEOUT_SECONDS": str(PROVIDER_TIMEOUT_SECONDS),
        "CHECKOUT_VELOCITY_LIMIT_PER_HOUR": str(VELOCITY_LIMIT_PER_HOUR),
    }


def engine_settings(environment: dict[str, str]) -> Settings:
    """The same settings as the processes get, without reading this process's own environment."""
    values = {name.removeprefix("CHECKOUT_").lower(): value for name, value in environment.items()}
    return Settings.model_validate(values)
