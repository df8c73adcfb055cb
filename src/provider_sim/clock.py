"""The simulated account's clock: real time plus an offset that `/_sim/clock` moves forward."""

from __future__ import annotations

import time
from collections.abc import Callable

from provider_sim.objects import JsonObject


class SimClock:
    """Called like `time.time`; everything that stamps or ages something in the simulator reads it."""

    def __init__(self, real: Callable[[], float] = time.time) -> None:
        self._real = real
        self.offset_seconds = 0

    def __call__(self) -> float:
        return self._real() + self.offset_seconds

    def advance(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        self.offset_seconds += seconds

    def reset(self) -> None:
        self.offset_seconds = 0

    def to_dict(self) -> JsonObject:
        return {"now": int(self()), "offset_seconds": self.offset_seconds}
