"""Start-up configuration of the simulator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

DEFAULT_PORT = 12111
DEFAULT_SETTLE_DELAY_MS = 2000
# The version Stripe stamps on events of a fresh test account; clients ignore it for snapshot events.
API_VERSION = "2026-10-28.endive"


def generated_webhook_secret() -> str:
    return "whsec_" + secrets.token_hex(16)


@dataclass(frozen=True)
class SimConfig:
    webhook_url: str | None = None
    webhook_secret: str = field(default_factory=generated_webhook_secret)
    settle_delay_ms: int | None = DEFAULT_SETTLE_DELAY_MS
    refund_settle_delay_ms: int | None = 200
    webhook_backoff_base_ms: int = 100
    webhook_backoff_max_ms: int = 5000
    webhook_timeout_ms: int = 5000
    webhook_seed: int = 0
    # How long a `timeout_after_commit` fault keeps a connection open if the client never gives up.
    hold_cap_seconds: float = 120.0
    api_version: str = API_VERSION
    # A directory for the record of every `/v1` exchange (see journal.py); None records nothing.
    journal_dir: str | None = None
