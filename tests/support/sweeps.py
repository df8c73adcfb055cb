"""The worker's sweeps without the scheduled reconciliation, for tests that steer provider events themselves
(reconciliation would fill the webhook gaps they leave on purpose; it has tests of its own)."""

from __future__ import annotations

from checkout_engine.jobs.registry import sweeps
from checkout_engine.jobs.worker import Sweep
from checkout_engine.settings import Settings


def housekeeping(settings: Settings) -> tuple[Sweep, ...]:
    return tuple(sweep for sweep in sweeps(settings) if sweep.name != "reconcile")
