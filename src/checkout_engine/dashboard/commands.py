"""The dashboard's commands that the admin API writes inline in its routes: a refund within the caller's limit,
requesting a reconciliation run, resolving a finding. Each runs in one unit of work with its audit entry, as
there; the order actions, webhook replays and job retries come from ``admin.actions`` unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Engine

from checkout_engine.admin.roles import Principal
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.idempotency import single_phase
from checkout_engine.idempotency.model import IdempotentRequest, check_key
from checkout_engine.money import Money
from checkout_engine.refunds import staff
from checkout_engine.refunds.staff import RefundAsk
from checkout_engine.settings import Settings


@dataclass(frozen=True, slots=True)
class RefundAnswer:
    ok: bool
    message: str
    replayed: bool


def request_refund(
    engine: Engine, principal: Principal, order_id: str, *, amount: int, reason: str, key: str, settings: Settings
) -> RefundAnswer:
    """Idempotent by the key the refund form carries: a double click or a resubmitted form refunds once."""

    def work(uow: UnitOfWork) -> tuple[int, dict[str, object]]:
        return staff.refund_or_ask(uow, principal, order_id, RefundAsk(amount), reason=reason, settings=settings)

    request = IdempotentRequest(
        f"dashboard:{principal.name}",
        check_key(key),
        "POST",
        f"/ops/orders/{order_id}/refunds",
        {"amount": amount, "reason": reason},
    )
    lock_timeout = settings.key_lock()
    outcome = single_phase.run(engine, request, work, lock_timeout=lock_timeout)
    body = json.loads(outcome.raw)
    if outcome.status == 202:
        asked = body["approval_request"]
        message = f"{body['needs_approval']['message']} Approval request {asked['id']} now waits for a second person."
        return RefundAnswer(True, message, outcome.replayed)
    if outcome.status != 201:
        return RefundAnswer(False, str(body["error"]["message"]), outcome.replayed)
    refunded = Money(body["amount"], body["currency"])
    return RefundAnswer(True, f"Refund {body['id']} of {refunded} requested.", outcome.replayed)
