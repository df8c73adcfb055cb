"""Drives provider events through the product: the simulator delivers its webhooks, the worker processes them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from checkout_engine.jobs.worker import Worker
from checkout_engine.webhooks.signature import signature_header
from support.provider_sim_process import ProviderSimProcess, wait_for

T = TypeVar("T")


class Pipeline:
    def __init__(self, sim: ProviderSimProcess, worker: Worker, *, api_url: str, secret: str) -> None:
        self.sim = sim
        self.worker = worker
        self.api_url = api_url
        self.secret = secret

    def events_for(self, payment_id: str) -> list[dict[str, Any]]:
        """The provider's events about one payment (or its refunds), oldest first."""
        listed = [e.to_dict() for e in self.sim.stripe_client().v1.events.list(params={"limit": 100}).data]
        related = [
            e
            for e in listed
            if payment_id in (e["data"]["object"].get("id"), e["data"]["object"].get("payment_intent"))
        ]
        return sorted(related, key=lambda e: (e["created"], e["id"]))

    def deliver(
        self, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None
    ) -> httpx.Response:
        """Deliver one event as the provider would (signed), in whatever order the test chooses."""
        body = json.dumps(event).encode()
        header = signature_header(body, secret=secret or self.secret, timestamp=timestamp or int(time.time()))
        return httpx.post(
            f"{self.api_url}/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )

    def pump(self) -> int:
        """Deliver every pending webhook now, then run every due job; returns how many jobs ran."""
        self.sim.flush_webhooks()
        return self.worker.drain()

    def until(self, condition: Callable[[], T | None], *, timeout: float = 15.0, what: str = "the condition") -> T:
        """Pump until ``condition`` holds (a poll with a deadline, never a fixed sleep)."""

        def pumped() -> T | None:
            self.pump()
            return condition()

        return wait_for(pumped, timeout=timeout, interval=0.05, what=what)
