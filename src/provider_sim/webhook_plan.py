"""Webhook delivery behaviour and the seeded random decisions it implies for each event."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from provider_sim.config import SimConfig
from provider_sim.objects import JsonObject


@dataclass(frozen=True)
class WebhookSettings:
    url: str | None
    secret: str
    duplicate_rate: float = 0.0
    drop_rate: float = 0.0
    delay_ms: int = 0
    reorder_window_ms: int = 0
    paused: bool = False
    seed: int = 0
    backoff_base_ms: int = 100
    backoff_max_ms: int = 5000
    timeout_ms: int = 5000
    max_attempts: int | None = None
    concurrency: int = 1  # deliveries in flight at once; 1 keeps due order exact (Stripe sends many at once)

    @classmethod
    def from_config(cls, config: SimConfig) -> WebhookSettings:
        return cls(
            url=config.webhook_url,
            secret=config.webhook_secret,
            seed=config.webhook_seed,
            backoff_base_ms=config.webhook_backoff_base_ms,
            backoff_max_ms=config.webhook_backoff_max_ms,
            timeout_ms=config.webhook_timeout_ms,
        )

    def to_dict(self) -> JsonObject:
        return asdict(self)


@dataclass(frozen=True)
class DeliveryPlan:
    """Dropped, or one hold (ms before the first attempt) per copy to send."""

    dropped: bool
    holds_ms: tuple[float, ...]


def plan_delivery(settings: WebhookSettings, rng: random.Random) -> DeliveryPlan:
    # Always draw the same number of values, so changing one rate does not shift the others' sequence.
    drop_roll, duplicate_roll, first_hold, second_hold = (rng.random() for _ in range(4))
    if drop_roll < settings.drop_rate:
        return DeliveryPlan(dropped=True, holds_ms=())
    holds = [first_hold, second_hold] if duplicate_roll < settings.duplicate_rate else [first_hold]
    return DeliveryPlan(
        dropped=False,
        holds_ms=tuple(settings.delay_ms + settings.reorder_window_ms * hold for hold in holds),
    )


def backoff_ms(settings: WebhookSettings, failed_attempts: int) -> float:
    """Exponential: base, twice base, four times base, and so on, capped at `backoff_max_ms`."""
    exponent = min(max(failed_attempts - 1, 0), 32)
    return float(min(settings.backoff_base_ms * 2**exponent, settings.backoff_max_ms))
