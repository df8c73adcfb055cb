"""The provider's word on many of our payments at once, from its list endpoint (100 intents a call) instead of
one read each, for pages of our attempts taken oldest first.

Each page's creation window is listed once, continuing where the previous page's listing ended; intents listed
that may still belong to the next page (near the border, within the clock skew) are kept for it, so memory holds a
page and a thin band, never the whole backlog. Where the window is crowded with intents that are not in the page
(a few stale attempts among a busy week's), listing would cost more than reading each, and nothing is listed.
An intent not found in its window (made long after its attempt, by a checkout that resumed) is simply read."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import ProviderPayment
from checkout_engine.payments.provider import PaymentProvider

LISTED_PER_CALL = 100  # the provider's largest page
# One list call of a full page costs about as much as this many single reads, at the provider and here (measured
# against the simulator; see docs/benchmarks.md).
LIST_CALL_COST = 8
# Our clock and the provider's may disagree a little, and an intent is made just after its attempt is stored.
SKEW = timedelta(seconds=2)


def _second(moment: datetime) -> int:
    return math.floor(moment.timestamp())


class Listing:
    def __init__(self, engine: Engine, provider: PaymentProvider) -> None:
        self._engine = engine
        self._provider = provider
        self._listed_until: int | None = None  # the last second the previous page's listing covered
        self._kept: dict[str, ProviderPayment] = {}

    def for_page(self, page: list[PaymentAttempt]) -> dict[str, ProviderPayment]:
        """The page's intents that the provider listed, by id; an intent missing here is to be read on its own.
        Pages are never empty (the sweep yields none)."""
        first = _second(page[0].created_at - SKEW)
        last = _second(page[-1].created_at + SKEW)
        start = first if self._listed_until is None else max(first, self._listed_until + 1)
        # Judged on the page's own span: what the listing finds past its last attempt is kept for the next page.
        if not self._worth_listing(start, _second(page[-1].created_at), len(page)):
            self._listed_until, self._kept = None, {}
            return {}
        found = {payment_id: kept for payment_id, kept in self._kept.items() if kept.created >= first}
        if start <= last:
            for payment in self._provider.iter_payments(created_after=start, created_until=last):
                found[payment.id] = payment
            self._listed_until = last
        wanted = {attempt.provider_payment_id for attempt in page}
        border = _second(page[-1].created_at - SKEW)  # the next page's attempts were made at or after the last
        self._kept = {i: p for i, p in found.items() if i not in wanted and p.created >= border}
        return {i: p for i, p in found.items() if i in wanted}

    def _worth_listing(self, start: int, last: int, page_size: int) -> bool:
        if start > last:
            return True  # the previous listing covered this window already
        with self._engine.connect() as conn:
            # Our attempts made in the window: about as many intents as the provider will list there.
            expected = attempts.created_between(
                conn, datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(last + 1, UTC)
            )
        return math.ceil(expected / LISTED_PER_CALL) * LIST_CALL_COST < page_size
