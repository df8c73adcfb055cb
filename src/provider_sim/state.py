"""Everything one simulator process holds, and the event-loop timers its settlements run on."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from provider_sim.config import SimConfig
from provider_sim.faults import FaultBook
from provider_sim.idempotency import IdempotencyStore
from provider_sim.objects import JsonObject
from provider_sim.simulator import Simulator
from provider_sim.webhooks import WebhookDispatcher


class LoopScheduler:
    """Timers on the running event loop that can all be cancelled at once (on reset)."""

    def __init__(self) -> None:
        self._handles: dict[int, asyncio.TimerHandle] = {}
        self._tokens = itertools.count()

    def call_later(self, delay_seconds: float, callback: Callable[[], None]) -> None:
        token = next(self._tokens)

        def fire() -> None:
            self._handles.pop(token, None)
            callback()

        self._handles[token] = asyncio.get_running_loop().call_later(delay_seconds, fire)

    def cancel_all(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()


@dataclass
class SimState:
    config: SimConfig
    scheduler: LoopScheduler
    simulator: Simulator
    webhooks: WebhookDispatcher
    idempotency: IdempotencyStore
    faults: FaultBook = field(default_factory=FaultBook)
    # Set to let go of every connection a `timeout_after_commit` fault is holding.
    release_holds: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def create(cls, config: SimConfig) -> SimState:
        scheduler = LoopScheduler()
        simulator = Simulator(config, scheduler)
        webhooks = WebhookDispatcher(config)
        simulator.ledger.subscribe(webhooks.enqueue)
        # Keys age by the simulated clock, so moving it forward can take them past their 24 hours.
        return cls(config, scheduler, simulator, webhooks, IdempotencyStore(simulator.clock))

    def advance_clock(self, seconds: int) -> JsonObject:
        """Moves the simulated clock forward; answers the new time and what fell due on the way."""
        happened = self.simulator.advance_clock(seconds)
        happened["idempotency_keys_forgotten"] = self.idempotency.forget_expired()
        return {**self.simulator.clock.to_dict(), "happened": happened}

    def reset(self) -> None:
        """Back to the state right after start-up: no objects, keys, faults or held connections; clock offset 0."""
        self.simulator.reset()
        self.webhooks.reset()
        self.idempotency.clear()
        self.faults.clear()
        self.release_holds.set()
        self.release_holds = asyncio.Event()
