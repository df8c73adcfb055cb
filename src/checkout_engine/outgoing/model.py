"""Event types, the retry schedule of a delivery, and the endpoint as a value."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class EventType(StrEnum):
    ORDER_PAID = "order.paid"
    ORDER_FULFILLMENT_REQUESTED = "order.fulfillment_requested"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_REFUNDED = "order.refunded"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_NEEDS_REVIEW = "order.needs_review"
    PAYMENT_FAILED = "payment.failed"
    REFUND_FAILED = "refund.failed"


EVENT_TYPES = tuple(event.value for event in EventType)
TIMEOUT_SECONDS = 10.0  # a 2xx within this is success
RETRY_FOR = timedelta(days=3)  # then the delivery is dead (replayable by hand)
DISABLE_AFTER = timedelta(days=1)  # an endpoint failing every delivery this long is disabled
BACKOFF_CAP_SECONDS = 6 * 3600.0


def next_attempt_in(attempts: int, *, base_seconds: float, rng: random.Random | None = None) -> timedelta:
    """After ``attempts`` failed tries: exponential backoff with jitter (half to all of a doubling window, from
    ``base_seconds`` up to six hours)."""
    window = min(BACKOFF_CAP_SECONDS, base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=(rng or random).uniform(window / 2, window))


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    active: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime
