"""Work in flight, once drained: no job lost, no provider event left unprocessed, and a webhook job that gave up
was repaired since."""

from __future__ import annotations

from checkout_engine.invariants.model import MONEY_IN, Violation
from checkout_engine.invariants.world import World
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK

UNSETTLED_JOBS = frozenset({"queued", "running"})
DONE_EVENTS = frozenset({"processed", "ignored"})
HELD = "held"  # an event that waits for our own state (a refund's event before its order is paid)


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


def webhook_events_settled(world: World) -> list[Violation]:
    """Once drained, every stored provider event was processed or ignored (with its reason), or is held waiting
    for an order that is not paid yet."""
    paid = {order.id for order in world.orders if order.state in MONEY_IN}
    return [
        Violation("webhook_events_settled", event.event_id, f"{event.type} is {event.status}")
        for event in world.webhook_events
        if event.status not in DONE_EVENTS and not (event.status == HELD and event.order_id not in paid)
    ]


def webhook_jobs_repaired(world: World) -> list[Violation]:
    """Once drained, a ``process_webhook`` job is dead only if its event was processed or ignored since (replayed
    by support, or repaired by reconciliation): no provider event is dropped for good."""
    events = {event.id: event for event in world.webhook_events}
    violations = []
    for job in world.jobs:
        if job.kind != PROCESS_WEBHOOK or job.status != "dead":
            continue
        event = events.get(int(job.payload.get("webhook_event_id", -1)))
        if event is None or event.status not in DONE_EVENTS:
            status = event.status if event else "missing"
            detail = f"dead ({_first_line(job.last_error)}), its event is {status}"
            violations.append(Violation("webhook_jobs_repaired", f"job {job.id}", detail))
    return violations
