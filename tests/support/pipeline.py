"""Drives provider events through the product: the simulator delivers its webhooks, the worker processes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from checkout_engine.jobs.worker import Worker
from support.provider_sim_process import ProviderSimProcess, wait_for

T = TypeVar("T")


class Pipeline:
    def __init__(self, sim: ProviderSimProcess, worker: Worker) -> None:
        self.sim = sim
        self.worker = worker

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
