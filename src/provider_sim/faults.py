"""Injected faults: the next N API calls matching a method and path prefix misbehave."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from provider_sim.ids import new_id
from provider_sim.objects import JsonObject


class FaultMode(StrEnum):
    ERROR_500 = "error_500"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    LATENCY = "latency"


@dataclass
class Fault:
    id: str
    method: str
    path: str
    mode: FaultMode
    remaining: int
    latency_ms: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method in ("*", method) and path.startswith(self.path)

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "mode": self.mode.value,
            "remaining": self.remaining,
            "latency_ms": self.latency_ms,
        }


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, method: str, path: str, mode: FaultMode, count: int, latency_ms: int = 0) -> Fault:
        fault = Fault(new_id("flt", 14), method.upper(), path, mode, count, latency_ms)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Consumes one use of the first armed fault matching the call, if any."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def armed(self) -> list[Fault]:
        return list(self._faults)
