"""Operators' actions on orders, stored webhook events and jobs.

Each runs in the caller's unit of work and writes its audit entry (actor, role, action, target, reason, before
and after) in the same transaction, so an action and its record are committed together or not at all. Work that
talks to the provider is only queued here, as a job, never done inside the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from checkout_engine.admin.queries import MAX_ROW_ID, job_view, webhook_event_view
from checkout_engine.admin.roles import Principal
from checkout_engine.audit import repository as audit
from checkout_engine.cart import repository as carts_repo
from checkout_engine.cart.model import CartStatus
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import jobs, receipts, webhook_events
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Conflict, NotFound
from checkout_engine.fulfillment import service as fulfillment
from checkout_engine.fulfillment.service import FULFILL_ORDER
from checkout_engine.jobs import repository as job_queue
from checkout_engine.jobs.model import JobStatus
from checkout_engine.orders import effects
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import CANCELLABLE, CANCELLABLE_WITH_REFUND, FULFILLABLE, Order, OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import CREATING, PaymentAttempt
from checkout_engine.payments.capture import CAPTURE_PAYMENT, enqueue_void
from checkout_engine.receipts import service as receipt_service
from checkout_engine.settings import Settings
from checkout_engine.webhooks import repository as stored_events
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK, enqueue_processing

S = OrderState
# Attempts whose money has moved or is moving: a cancellation would race it, so it is refused.
MONEY_MOVING = frozenset({"succeeded", "processing"})
# Attempts whose provider intent cannot take money any more (or does not exist yet): nothing to void.
NOTHING_TO_VOID = frozenset({"succeeded", "canceled", CREATING})
LIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


@dataclass(frozen=True, slots=True)
class OrderActionResult:
    order: Order
    details: dict[str, Any]


# -- Shared steps ---------------------------------------------------------------------------------------------


def _audited(order: Order) -> dict[str, Any]:
    return {"state": order.state.value, "needs_review": order.needs_review, "review_reason": order.review_reason}


def record_order_action(
    uow: UnitOfWork,
    principal: Principal,
    action: str,
    *,
    reason: str,
    before: Order,
    after: Order,
    details: dict[str, Any],
) -> OrderActionResult:
    audit.record(
        uow.connection,
        principal=principal,
        action=f"order.{action}",
        target=("order", before.id),
        reason=reason,
        before=_audited(before),
        after={**_audited(after), **details},
    )
    return OrderActionResult(after, details)


def _locked_order(uow: UnitOfWork, order_id: str) -> Order:
    # Locking the row makes two actions on one order queue up instead of failing on the version check.
    return orders.get_order(uow, order_id, for_update=True)


def _live_job(conn: sa.Connection, dedupe_key: str) -> dict[str, Any] | None:
    query = sa.select(jobs.c.id, jobs.c.status).where(jobs.c.dedupe_key == dedupe_key, jobs.c.status.in_(LIVE))
    row = conn.execute(query).first()
    return {"id": row.id, "status": row.status} if row else None


# -- Order actions --------------------------------------------------------------------------------------------


def retry_fulfillment(uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str) -> OrderActionResult:
    """Queue fulfilment again (it is idempotent); a job already waiting for the order is reused."""
    order = _locked_order(uow, order_id)
    if order.needs_review:
        raise Conflict(
            "This order is under review: clear the review before fulfilling it.",
            code="order_under_review",
            details={"review_reason": order.review_reason},
        )
    if not fulfillment.may_fulfill(uow.connection, order):
        raise Conflict(
            f"Only a paid order not yet delivered can be fulfilled; this one is {order.state}.",
            code="order_not_fulfillable",
            details={"state": order.state.value, "allowed": sorted(state.value for state in FULFILLABLE)},
        )
    key = f"{FULFILL_ORDER}:{order.id}"  # the same key the paid transition uses, so the two never run twice
    enqueued = job_queue.enqueue(uow.connection, FULFILL_ORDER, {"order_id": order.id}, dedupe_key=key)
    details = {"job_enqueued": enqueued, "fulfillment_job": _live_job(uow.connection, key)}
    return record_order_action(
        uow, principal, "retry_fulfillment", reason=reason, before=order, after=order, details=details
    )


def _latest_receipt(conn: sa.Connection, order_id: str) -> dict[str, Any] | None:
    query = (
        sa.select(receipts.c.id, receipts.c.purpose, receipts.c.status)
        .where(receipts.c.order_id == order_id)
        .order_by(receipts.c.id.desc())
    )
    row = conn.execute(query).first()
    return {"id": row.id, "purpose": row.purpose, "status": row.status} if row else None


def resend_receipt(uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str) -> OrderActionResult:
    # The lock matters: resend numbers its records by counting them, and two at once would count alike.
    order = _locked_order(uow, order_id)
    receipt_service.resend(uow.connection, order)
    details = {"receipt": _latest_receipt(uow.connection, order.id)}
    return record_order_action(
        uow, principal, "resend_receipt", reason=reason, before=order, after=order, details=details
    )


def mark_for_review(uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str) -> OrderActionResult:
    order = _locked_order(uow, order_id)
    if order.needs_review:
        raise Conflict(
            "This order is already under review.",
            code="already_under_review",
            details={"review_reason": order.review_reason},
        )
    flagged = orders.flag_for_review(uow, order, reason=reason, actor=principal.name)
    return record_order_action(
        uow, principal, "mark_for_review", reason=reason, before=order, after=flagged, details={}
    )


def clear_review(uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str) -> OrderActionResult:
    """Lifts the flag; an order the review held back from fulfilment (paid, even if partly refunded meanwhile) has
    its fulfilment queued again, as the paid transition queued it."""
    order = _locked_order(uow, order_id)
    if not order.needs_review:
        raise Conflict("This order is not under review.", code="not_under_review")
    cleared = orders.clear_review(uow, order, reason=reason, actor=principal.name)
    details: dict[str, Any] = {"fulfillment_job": None}
    if fulfillment.may_fulfill(uow.connection, cleared):
        key = f"{FULFILL_ORDER}:{order.id}"
        job_queue.enqueue(uow.connection, FULFILL_ORDER, {"order_id": order.id}, dedupe_key=key)
        details["fulfillment_job"] = _live_job(uow.connection, key)
    return record_order_action(
        uow, principal, "clear_review", reason=reason, before=order, after=cleared, details=details
    )


def _refuse_moving_money(order: Order, order_attempts: list[PaymentAttempt]) -> None:
    moving = [attempt.id for attempt in order_attempts if attempt.status in MONEY_MOVING]
    if moving:
        raise Conflict(
            "A payment for this order has succeeded or is still processing; wait for its outcome, then refund.",
            code="payment_in_progress",
            details={"order_id": order.id, "payment_attempts": moving},
        )


def _withdraw_captures(conn: sa.Connection, order_attempts: list[PaymentAttempt]) -> list[int]:
    """Queued capture jobs of a cancelled order must never run: they would take the money the void releases.
    A capture already running cannot be stopped, so the cancellation is refused until it has finished."""
    keys = [f"{CAPTURE_PAYMENT}:{attempt.id}" for attempt in order_attempts]
    now = utcnow()
    withdrawn = conn.execute(
        jobs.update()
        .where(jobs.c.dedupe_key.in_(keys), jobs.c.status == JobStatus.QUEUED.value)
        .values(status=JobStatus.DONE.value, finished_at=now, updated_at=now, last_error="withdrawn: order cancelled")
        .returning(jobs.c.id)
    )
    withdrawn_ids = [int(row.id) for row in withdrawn]
    # Checked after the update: a worker that claimed a job before it is seen here, one after it finds none.
    running = conn.execute(
        sa.select(jobs.c.id).where(jobs.c.dedupe_key.in_(keys), jobs.c.status == JobStatus.RUNNING.value)
    ).first()
    if running is not None:
        raise Conflict(
            "The payment of this order is being captured right now; look at the order again in a moment.",
            code="capture_in_progress",
            details={"job_id": running.id},
        )
    return withdrawn_ids


def cancel(
    uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str, settings: Settings
) -> OrderActionResult:
    """Cancel an order no money has reached: through the state machine, releasing its stock and coupon, and
    queue a void of every provider intent that could still take money (idempotent per attempt). A paid order is
    cancelled through ``state_changes``, with a second admin's approval."""
    conn = uow.connection
    order = _locked_order(uow, order_id)
    if order.state not in CANCELLABLE:
        allowed = CANCELLABLE | CANCELLABLE_WITH_REFUND
        raise Conflict(
            f"Only an order not yet delivered can be cancelled; this one is {order.state}. Refund it instead.",
            code="order_not_cancellable",
            details={"state": order.state.value, "allowed": sorted(state.value for state in allowed)},
        )
    order_attempts = attempts.for_order(conn, order.id)
    _refuse_moving_money(order, order_attempts)
    withdrawn = _withdraw_captures(conn, order_attempts)
    for attempt in order_attempts:
        if attempt.status == CREATING:  # a checkout still creating its intent finds this and cancels the intent
            attempts.mark(conn, attempt, "canceled", expected=CREATING)
    cancelled = orders.transition(uow, order, S.CANCELLED, reason=reason, actor=principal.name)
    cancelled = effects.apply(uow, cancelled, settings=settings)
    if order.state is S.DRAFT:  # it never reached the provider: the customer gets the cart back, as checkout does
        carts_repo.update_cart(conn, order.cart_id, status=CartStatus.OPEN.value)
    to_void = [a for a in order_attempts if a.provider_payment_id is not None and a.status not in NOTHING_TO_VOID]
    for attempt in to_void:
        enqueue_void(conn, attempt)
    details = {"voided_payment_attempts": [a.id for a in to_void], "withdrawn_capture_jobs": withdrawn}
    return record_order_action(uow, principal, "cancel", reason=reason, before=order, after=cancelled, details=details)


# -- Webhook events and jobs ----------------------------------------------------------------------------------


def _event_row(conn: sa.Connection, reference: str) -> sa.RowMapping:
    """By our row id, or by the provider's event id (what an operator sees in the provider's dashboard)."""
    if reference.isdigit() and 0 < int(reference) <= MAX_ROW_ID:
        condition = webhook_events.c.id == int(reference)
    elif reference.startswith("evt_"):
        condition = webhook_events.c.event_id == reference
    else:
        condition = sa.false()
    row = conn.execute(sa.select(webhook_events).where(condition).with_for_update()).mappings().first()
    if row is None:
        raise NotFound("No such webhook event.", code="webhook_event_not_found", details={"id": reference})
    return row


def replay_webhook_event(uow: UnitOfWork, principal: Principal, reference: str, *, reason: str) -> dict[str, Any]:
    """Process a stored event again from scratch. Processing judges the provider's current object against the
    order's current state, so a replay repairs what a failure left undone and repeats nothing already done."""
    conn = uow.connection
    row = _event_row(conn, reference)
    stored_events.record_outcome(conn, row["id"], status="received", reason=f"replay requested by {principal.name}")
    stored = stored_events.get(conn, row["id"])
    assert stored is not None
    enqueue_processing(uow, stored)  # a processing job still queued or running is reused
    after = _event_row(conn, str(row["id"]))
    job = _live_job(conn, f"{PROCESS_WEBHOOK}:{row['id']}")
    audit.record(
        conn,
        principal=principal,
        action="webhook_event.replay",
        target=("webhook_event", str(row["id"])),
        reason=reason,
        before=webhook_event_view(row),
        after={**webhook_event_view(after), "processing_job": job},
    )
    return {"webhook_event": webhook_event_view(after), "processing_job": job}


def _job_row(conn: sa.Connection, job_id: int) -> sa.RowMapping:
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id).with_for_update()).mappings().first()
    if row is None:
        raise NotFound("No such job.", code="job_not_found", details={"id": job_id})
    return row


def _live_twin(conn: sa.Connection, row: sa.RowMapping) -> dict[str, Any] | None:
    return _live_job(conn, row["dedupe_key"]) if row["dedupe_key"] is not None else None


def _requeue(conn: sa.Connection, row: sa.RowMapping) -> None:
    now = utcnow()
    values = {
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "run_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "finished_at": None,
        "updated_at": now,
    }
    savepoint = conn.begin_nested()
    try:
        conn.execute(jobs.update().where(jobs.c.id == row["id"]).values(**values))
    except sa.exc.IntegrityError:  # an equal job was queued between the check and this update
        savepoint.rollback()
        raise Conflict(
            "The same work is already queued as another job.",
            code="job_already_queued",
            details={"dedupe_key": row["dedupe_key"]},
        ) from None
    savepoint.commit()


def retry_job(uow: UnitOfWork, principal: Principal, job_id: int, *, reason: str) -> dict[str, Any]:
    """A dead job runs again now with its attempts reset to zero: a fresh run of retries with backoff, as if it had
    just been queued. Its last error stays visible until the next attempt replaces or clears it."""
    conn = uow.connection
    row = _job_row(conn, job_id)
    if row["status"] != JobStatus.DEAD.value:
        raise Conflict(
            f"Only a dead job can be retried; this one is {row['status']}.",
            code="job_not_dead",
            details={"status": row["status"]},
        )
    twin = _live_twin(conn, row)
    if twin is not None:  # the same work is already queued again (a sweep or a replay did it)
        raise Conflict("The same work is already queued as another job.", code="job_already_queued", details=twin)
    _requeue(conn, row)
    after = _job_row(conn, job_id)
    audit.record(
        conn,
        principal=principal,
        action="job.retry",
        target=("job", str(job_id)),
        reason=reason,
        before=_job_audit(row),
        after=_job_audit(after),
    )
    return job_view(after)


def _job_audit(row: sa.RowMapping) -> dict[str, Any]:
    return {"kind": row["kind"], "status": row["status"], "attempts": row["attempts"], "last_error": row["last_error"]}
