"""Every answer to an idempotent request the journeys saw, by key, and the check that compares replays with the
first final answer."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checkout_engine.invariants import Violation

# Answers the contract gives while the first request has not finished: not a response to compare.
IN_FLIGHT_CODES = frozenset({"idempotency_key_in_use"})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any
    replayed: bool

    @property
    def code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            code = self.body["error"].get("code")
            return str(code) if code is not None else None
        return None

    @property
    def final(self) -> bool:
        """A stored answer: a replay, or anything but a server-side failure (not stored, so a retry runs afresh)
        and an in-flight refusal."""
        return self.replayed or (self.status < 500 and self.code not in IN_FLIGHT_CODES)


class AnswerBook:
    """Thread-safe: every customer thread writes into one book. It also keeps every 500 the customers saw."""

    def __init__(self) -> None:
        self._answers: dict[str, list[Answer]] = defaultdict(list)
        self._server_errors: list[str] = []
        self._lock = threading.Lock()

    def record(self, scope: str, key: str, answer: Answer) -> None:
        with self._lock:
            self._answers[f"{scope} {key}"].append(answer)

    def note_server_error(self, description: str) -> None:
        """A 500: the contract allows none, whatever the provider or the processes did."""
        with self._lock:
            self._server_errors.append(description)

    def server_errors(self) -> list[str]:
        with self._lock:
            return list(self._server_errors)

    def by_key(self) -> dict[str, list[Answer]]:
        with self._lock:
            return {key: list(answers) for key, answers in self._answers.items()}

    def replays(self) -> int:
        with self._lock:
            return sum(answer.replayed for answers in self._answers.values() for answer in answers)


def idempotent_replays(answers: Mapping[str, list[Answer]]) -> list[Violation]:
    """Every final answer to one idempotency key is the first final answer, byte for byte (parsed)."""
    violations = []
    for key, seen in answers.items():
        final = [answer for answer in seen if answer.final]
        for later in final[1:]:
            if (later.status, later.body) != (final[0].status, final[0].body):
                detail = (
                    f"first {final[0].status} {str(final[0].body)[:200]}; later {later.status} {str(later.body)[:200]}"
                )
                violations.append(Violation("idempotent_replays", key, detail))
    return violations
