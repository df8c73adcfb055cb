"""Jobs as values, and the retry strategy: exponential backoff with full jitter, then ``dead``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"  # gave up after max attempts: visible to operators, retryable by hand


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    lease_owner: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait between attempts; how many attempts a job gets is stored on the job itself."""

    base_seconds: float = 2.0
    cap_seconds: float = 600.0

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Wait before attempt ``attempts + 1``: full jitter over an exponentially growing window."""
        window = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=(rng or random).uniform(window / 2, window))


class RetryLater(Exception):
    """A handler raises this when the job could not finish now but should run again (counts as an attempt)."""
