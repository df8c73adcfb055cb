"""Work that falls due at a simulated time: settlements, refunds, lapsing authorisations."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from enum import StrEnum


class Due(StrEnum):
    """What falls due; each value names what doing it counts as, as `POST /_sim/clock` reports it."""

    PAYMENT_SETTLEMENT = "payments_settled"
    REFUND_SETTLEMENT = "refunds_settled"
    AUTHORIZATION_EXPIRY = "authorizations_lapsed"


@dataclass(frozen=True, order=True)
class Appointment:
    due_at: float
    sequence: int
    kind: Due = field(compare=False)
    object_id: str = field(compare=False)


class Agenda:
    """Appointments in due order; one whose object has moved on meanwhile is simply skipped when taken."""

    def __init__(self) -> None:
        self._heap: list[Appointment] = []
        self._sequence = itertools.count()

    def add(self, due_at: float, kind: Due, object_id: str) -> None:
        heapq.heappush(self._heap, Appointment(due_at, next(self._sequence), kind, object_id))

    def take_due(self, now: float) -> list[Appointment]:
        """Removes and returns, earliest first, every appointment due at or before `now`."""
        due: list[Appointment] = []
        while self._heap and self._heap[0].due_at <= now:
            due.append(heapq.heappop(self._heap))
        return due

    def clear(self) -> None:
        self._heap.clear()
