"""Work in flight: no job lost after draining, and every idempotent request answered the same way each time."""

from __future__ import annotations

from collections.abc import Mapping

from checkout_engine.chaos.answers import Answer
from checkout_engine.invariants.model import Violation
from checkout_engine.invariants.records import World

UNSETTLED_JOBS = frozenset({"queued", "running"})


def jobs_settled(world: World) -> list[Violation]:
    """No job is lost: after draining, every job is done or visibly dead."""
    return [
        Violation(
            "jobs_settled", f"job {job.id}", f"{job.kind} still {job.status}; last error: {_first_line(job.last_error)}"
        )
        for job in world.jobs
        if job.status in UNSETTLED_JOBS
    ]


def _first_line(error: str | None) -> str:
    return (error or "none").splitlines()[0][:200]


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
