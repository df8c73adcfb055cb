"""The fault schedule: a plan drawn from the seed before the run (pure), and the injector that carries it out on
time against the simulator and the supervisor.

Provider faults hit creating and confirming payments and refunds; webhooks are duplicated, reordered, delayed and
dropped and aimed at one API or the other; API and worker processes are SIGKILLed and come back after a while.
Sold-out hot SKUs are restocked now and then, so their last units are raced for all through the run."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from checkout_engine.chaos.catalog import RestockUnknown, restock_sold_out
from checkout_engine.chaos.processes import Supervisor
from checkout_engine.chaos.simulator import SimControl

FAULT_EVERY_SECONDS = (1.0, 3.0)
TARGET_EVERY_SECONDS = 5.0
RESTOCK_EVERY_SECONDS = 4.0
KILL_EVERY_SECONDS = 12.0  # one kill per this much of the run, at least two (an API and a worker)
DOWNTIME_SECONDS = (0.5, 3.0)
CHAOS_ENDS_AT = 0.85  # share of the run after which nothing new is injected

PROVIDER_FAULTS: tuple[tuple[str, str, str], ...] = (  # method, path prefix, mode
    ("POST", "/v1/payment_intents", "error_500"),
    ("POST", "/v1/payment_intents", "timeout_after_commit"),
    ("POST", "/v1/payment_intents/", "error_500"),  # confirm (and cancel, capture): the id follows the slash
    ("POST", "/v1/payment_intents/", "timeout_after_commit"),
    ("POST", "/v1/refunds", "error_500"),
    ("POST", "/v1/refunds", "timeout_after_commit"),
    ("GET", "/v1/payment_intents", "latency"),
)


@dataclass(frozen=True, slots=True)
class Step:
    at: float  # seconds after the start of the run
    kind: str  # provider_fault | webhooks | webhook_target | kill | restock
    params: dict[str, Any] = field(default_factory=dict)


def _provider_faults(rng: random.Random, end: float) -> list[Step]:
    steps, at = [], rng.uniform(*FAULT_EVERY_SECONDS)
    while at < end:
        method, path, mode = rng.choice(PROVIDER_FAULTS)
        count = rng.randint(1, 2) if mode == "error_500" else 1
        params = {"method": method, "path": path, "mode": mode, "count": count}
        steps.append(Step(at, "provider_fault", {**params, "latency_ms": 800 if mode == "latency" else 0}))
        at += rng.uniform(*FAULT_EVERY_SECONDS)
    return steps


def _webhook_mischief(rng: random.Random, end: float) -> list[Step]:
    steps = []
    for at in (0.0, end / 2):
        settings = {
            "duplicate_rate": round(rng.uniform(0.1, 0.3), 2),
            "drop_rate": round(rng.uniform(0.02, 0.08), 2),
            "delay_ms": rng.randint(0, 300),
            "reorder_window_ms": rng.randint(200, 1000),
        }
        steps.append(Step(at, "webhooks", settings))
    steps += [Step(at, "webhook_target", {"api": n % 2}) for n, at in enumerate(_every(TARGET_EVERY_SECONDS, end), 1)]
    return steps + [Step(at, "restock") for at in _every(RESTOCK_EVERY_SECONDS, end)]


def _every(interval: float, end: float) -> list[float]:
    return [interval * n for n in range(1, int(end / interval) + 1)]


def _kills(rng: random.Random, end: float, *, apis: int, workers: int) -> list[Step]:
    count = max(2, round(end / KILL_EVERY_SECONDS))
    times = sorted(rng.uniform(0.15 * end, end) for _ in range(count))
    roles = ["api", "worker"] + [rng.choice(("api", "worker")) for _ in range(count - 2)]
    rng.shuffle(roles)
    return [
        Step(
            at,
            "kill",
            {
                "role": role,
                "index": rng.randrange(apis if role == "api" else workers),
                "downtime": round(rng.uniform(*DOWNTIME_SECONDS), 1),
            },
        )
        for at, role in zip(times, roles, strict=True)
    ]


def plan(seed: int, duration: float, *, apis: int = 2, workers: int = 3) -> list[Step]:
    """Everything the run will inject and when, from the seed alone."""
    rng = random.Random(f"{seed}:faults")
    end = duration * CHAOS_ENDS_AT
    steps = _provider_faults(rng, end) + _webhook_mischief(rng, end) + _kills(rng, end, apis=apis, workers=workers)
    return sorted(steps, key=lambda step: step.at)


class Injector:
    """Carries out a plan in a thread of its own; ``tally`` counts what was actually injected."""

    def __init__(self, steps: list[Step], *, sim: SimControl, supervisor: Supervisor, seed: int) -> None:
        self.steps = steps
        self.sim = sim
        self.supervisor = supervisor
        self.seed = seed
        self.admin_key = supervisor.keys.admin_key
        self.tally: Counter[str] = Counter()
        self.restocked: Counter[str] = Counter()  # units added to hot SKUs during the run, by SKU
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-injector", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        started = time.monotonic()
        for step in self.steps:
            # Waiting for the step's moment on the stop event: a stop request ends the schedule at once.
            if self._stop.wait(max(0.0, started + step.at - time.monotonic())):
                return
            try:
                self._apply(step)
            except (httpx.HTTPError, OSError, RestockUnknown) as error:
                self.errors.append(f"{step.kind} at {step.at:.1f}s: {error}")

    def _apply(self, step: Step) -> None:
        params = step.params
        if step.kind == "provider_fault":
            self.sim.add_fault(**params)
            self.tally[f"{params['mode']} {params['method']} {params['path']}"] += params["count"]
        elif step.kind == "webhooks":
            self.sim.configure_webhooks(**params, seed=self.seed)
            self.tally["webhook duplicate/drop/delay/reorder settings"] += 1
        elif step.kind == "webhook_target":
            self.sim.configure_webhooks(url=self.supervisor.webhook_url(params["api"]))
            self.tally["webhook target switched"] += 1
        elif step.kind == "kill":
            self._kill(params["role"], params["index"], params["downtime"])
        elif step.kind == "restock":
            self.restocked.update(restock_sold_out(self.supervisor.api_urls, self.admin_key))

    def _kill(self, role: str, index: int, downtime: float) -> None:
        """Kills the planned process, or another of its role when that one is still coming back."""
        candidates = self.supervisor.up(role)
        if not candidates:
            self.errors.append(f"no {role} up to kill")
            return
        group = self.supervisor.apis if role == "api" else self.supervisor.workers
        victim = group[index] if group[index] in candidates else candidates[0]
        self.supervisor.bounce(victim, downtime=downtime)
        self.tally[f"SIGKILL {role}"] += 1
