"""Background webhook delivery: signed like Stripe's, at least once, retried with exponential backoff."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from provider_sim.config import SimConfig
from provider_sim.objects import Event, JsonObject
from provider_sim.signing import signature_header
from provider_sim.webhook_plan import WebhookSettings, backoff_ms, plan_delivery


@dataclass(order=True)
class PendingDelivery:
    due_at: float
    sequence: int
    event: Event = field(compare=False)
    copy: int = field(compare=False)
    generation: int = field(compare=False)
    attempts: int = field(default=0, compare=False)


@dataclass(frozen=True)
class DeliveryRecord:
    event_id: str
    event_type: str
    copy: int
    attempt: int
    outcome: str  # delivered | failed | dropped
    at: float
    url: str | None = None
    status_code: int | None = None
    error: str | None = None
    duration_ms: float | None = None

    def to_dict(self) -> JsonObject:
        return dataclasses.asdict(self)


class WebhookDispatcher:
    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._client = httpx.AsyncClient(trust_env=False)
        self._sending = asyncio.Lock()
        self._wake = asyncio.Event()
        self._sequence = itertools.count()
        self._generation = 0
        self._in_flight: set[asyncio.Task[bool]] = set()
        self.reset()

    def reset(self) -> None:
        self._generation += 1
        self.settings = WebhookSettings.from_config(self._config)
        self._rng = random.Random(self.settings.seed)
        self._queue: list[PendingDelivery] = []
        self._log: list[DeliveryRecord] = []
        self._wake.set()

    def configure(self, changes: dict[str, Any]) -> WebhookSettings:
        self.settings = dataclasses.replace(self.settings, **changes)
        if "seed" in changes:
            self._rng = random.Random(self.settings.seed)
        self._wake.set()
        return self.settings

    def pending_count(self) -> int:
        return len(self._queue)

    def deliveries(self, event_id: str | None = None) -> list[JsonObject]:
        return [record.to_dict() for record in self._log if event_id in (None, record.event_id)]

    def enqueue(self, event: Event) -> None:
        """Plans an event's delivery: called for every event, on the event loop's thread."""
        if self.settings.url is None:
            return
        plan = plan_delivery(self.settings, self._rng)
        if plan.dropped:
            self._log.append(DeliveryRecord(event.id, event.type, 1, 0, "dropped", time.time()))
            return
        event.pending_webhooks = 1
        now = time.monotonic()
        for copy, hold_ms in enumerate(plan.holds_ms, start=1):
            delivery = PendingDelivery(now + hold_ms / 1000, next(self._sequence), event, copy, self._generation)
            heapq.heappush(self._queue, delivery)
        self._wake.set()

    async def run(self) -> None:
        """Delivers due events in due order, up to ``concurrency`` at a time (one by default), until cancelled."""
        while True:
            async with self._sending:
                while len(self._in_flight) < self.settings.concurrency and (delivery := self._pop_due()) is not None:
                    task = asyncio.create_task(self._attempt(delivery))
                    self._in_flight.add(task)
                    task.add_done_callback(self._landed)
            await self._sleep_until_due()

    def _landed(self, task: asyncio.Task[bool]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # room for the next delivery

    async def flush(self) -> JsonObject:
        """Attempts everything pending once, now, ignoring holds and pause (after the deliveries in flight)."""
        async with self._sending:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            batch = sorted(self._queue)
            self._queue.clear()
            outcomes = [await self._attempt(delivery) for delivery in batch]
        delivered = sum(outcomes)
        return {
            "attempted": len(batch),
            "delivered": delivered,
            "failed": len(batch) - delivered,
            "pending": len(self._queue),
        }

    async def close(self) -> None:
        await self._client.aclose()

    def _pop_due(self) -> PendingDelivery | None:
        if self.settings.paused or not self._queue or self._queue[0].due_at > time.monotonic():
            return None
        return heapq.heappop(self._queue)

    async def _sleep_until_due(self) -> None:
        self._wake.clear()
        timeout = None
        if self._queue and not self.settings.paused and len(self._in_flight) < self.settings.concurrency:
            timeout = max(self._queue[0].due_at - time.monotonic(), 0.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _attempt(self, delivery: PendingDelivery) -> bool:
        delivery.attempts += 1
        record = await self._post(delivery)
        if delivery.generation != self._generation:
            return record.outcome == "delivered"
        self._log.append(record)
        if record.outcome == "delivered":
            delivery.event.pending_webhooks = 0
            return True
        limit = self.settings.max_attempts
        if limit is None or delivery.attempts < limit:
            delivery.due_at = time.monotonic() + backoff_ms(self.settings, delivery.attempts) / 1000
            heapq.heappush(self._queue, delivery)
        return False

    async def _post(self, delivery: PendingDelivery) -> DeliveryRecord:
        event, settings = delivery.event, self.settings
        record = DeliveryRecord(
            event.id, event.type, delivery.copy, delivery.attempts, "failed", time.time(), settings.url
        )
        if settings.url is None:
            return dataclasses.replace(record, error="no webhook url configured")
        payload = json.dumps(event.to_dict(), indent=2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(settings.secret, int(time.time()), payload),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        started = time.perf_counter()
        try:
            response = await self._client.post(
                settings.url, content=payload.encode(), headers=headers, timeout=settings.timeout_ms / 1000
            )
        except httpx.HTTPError as error:
            elapsed = (time.perf_counter() - started) * 1000
            return dataclasses.replace(record, error=f"{type(error).__name__}: {error}", duration_ms=elapsed)
        elapsed = (time.perf_counter() - started) * 1000
        outcome = "delivered" if 200 <= response.status_code < 300 else "failed"
        return dataclasses.replace(record, outcome=outcome, status_code=response.status_code, duration_ms=elapsed)
