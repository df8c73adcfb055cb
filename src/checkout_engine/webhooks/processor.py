"""Processing a stored provider event in the worker: find our payment attempt, ask the provider for the current
object (an event's snapshot may be stale), judge it against the order's current state, and apply the result with
the provider event id on every transition. Processing the same event again changes nothing."""

from __future__ import annotations

import time
from typing import Any

import structlog

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import JobContext
from checkout_engine.observability.metrics import WEBHOOK_PROCESSING_FAILURES, WEBHOOK_PROCESSING_SECONDS
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import MONEY_IN, OrderState, TransitionConflict
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import ProviderUnavailable
from checkout_engine.payments.settle import settle
from checkout_engine.payments.truth import Action
from checkout_engine.refunds import service as refunds
from checkout_engine.webhooks import repository, subject
from checkout_engine.webhooks.kinds import DISPUTE_OPENED, PAYMENT_EVENTS, REFUND_EVENTS, acts_on, no_action_reason
from checkout_engine.webhooks.repository import StoredEvent

PROVIDER = "stripe"
log = structlog.get_logger(__name__)


def process(context: JobContext, payload: dict[str, Any]) -> None:
    started = time.perf_counter()
    with UnitOfWork(context.engine) as uow:
        stored = repository.get(uow.connection, int(payload["webhook_event_id"]))
        assert stored is not None
        if stored.status in ("processed", "ignored", "held"):
            return
        if not acts_on(stored.type):  # stored before this rule, or replayed by an operator: still nothing to do
            repository.record_outcome(uow.connection, stored.id, status="ignored", reason=no_action_reason(stored.type))
            uow.commit()
            return
        attempt = subject.find_attempt(uow.connection, PROVIDER, stored.payload)
        if attempt is None:
            repository.record_outcome(uow.connection, stored.id, status="ignored", reason="not one of our payments")
            uow.commit()
            return
    with (
        WEBHOOK_PROCESSING_SECONDS.time(),
        structlog.contextvars.bound_contextvars(order_id=attempt.order_id, provider_event_id=stored.event_id),
    ):
        try:
            before, after = _dispatch(context, stored, attempt)
        except ProviderUnavailable as error:
            _record_failure(context, stored, attempt, error)
            raise RetryLater(error.message) from error
        except RetryLater:
            raise
        except TransitionConflict as error:  # a lost race with another event of the order: judge again, no failure
            raise RetryLater(error.message) from error
        except Exception as error:  # recorded on the event for operators; the job retries and may end dead
            _record_failure(context, stored, attempt, error)
            raise
        log.info(
            "payment_webhook_processed",
            payment_id=attempt.id,
            provider="stripe",
            event_type=stored.type,
            previous_order_state=before.value,
            next_order_state=after.value,
            processing_ms=round((time.perf_counter() - started) * 1000, 1),
            idempotent_replay=stored.delivery_count > 1,
        )


def _record_failure(context: JobContext, stored: StoredEvent, attempt: PaymentAttempt, error: Exception) -> None:
    WEBHOOK_PROCESSING_FAILURES.inc()
    with UnitOfWork(context.engine) as uow:
        repository.record_outcome(
            uow.connection,
            stored.id,
            status="failed",
            order_id=attempt.order_id,
            error=f"{type(error).__name__}: {error}",
        )
        uow.commit()


Change = tuple[OrderState, OrderState]  # the order's state before the event was processed, and after


def _dispatch(context: JobContext, stored: StoredEvent, attempt: PaymentAttempt) -> Change:
    if stored.type.startswith(PAYMENT_EVENTS):
        return _payment_event(context, stored, attempt)
    if stored.type.startswith(REFUND_EVENTS):
        return _refund_event(context, stored, attempt)
    assert stored.type == DISPUTE_OPENED, stored.type  # acts_on admits nothing else
    return _dispute_event(context, stored, attempt)


def _payment_event(context: JobContext, stored: StoredEvent, attempt: PaymentAttempt) -> Change:
    # Ask for the current object: the event's snapshot may be older than what happened since.
    current = context.provider.retrieve(attempt.provider_payment_id or str(subject.payment_id(stored.payload)))
    with UnitOfWork(context.engine) as uow:
        settled = settle(
            uow, attempt, current, provider_event_id=stored.event_id, actor="provider", settings=context.settings
        )
        verdict = settled.verdict
        if verdict.action is Action.WAIT:
            raise RetryLater(verdict.reason)
        status = "ignored" if verdict.action is Action.NOTHING else "processed"
        repository.record_outcome(
            uow.connection, stored.id, status=status, reason=verdict.reason, order_id=attempt.order_id
        )
        uow.commit()
    return settled.was, settled.now


def _refund_event(context: JobContext, stored: StoredEvent, attempt: PaymentAttempt) -> Change:
    assert attempt.provider_payment_id is not None
    provider_refunds = context.provider.list_refunds(attempt.provider_payment_id)
    with UnitOfWork(context.engine) as uow:
        order = orders.get_order(uow, attempt.order_id)
        if order.state not in MONEY_IN:  # a refund before our own paid transition: wait for it
            repository.record_outcome(
                uow.connection, stored.id, status="held", reason=f"order is {order.state}", order_id=order.id
            )
            uow.commit()
            return order.state, order.state
        refunds.sync_from_provider(uow, attempt, provider_refunds, provider_event_id=stored.event_id)
        repository.record_outcome(
            uow.connection, stored.id, status="processed", reason="refunds synced", order_id=order.id
        )
        after = orders.get_order(uow, order.id).state
        uow.commit()
    return order.state, after


def _dispute_event(context: JobContext, stored: StoredEvent, attempt: PaymentAttempt) -> Change:
    with UnitOfWork(context.engine) as uow:
        order = orders.get_order(uow, attempt.order_id)
        if not order.needs_review:
            orders.flag_for_review(uow, order, reason="dispute opened at the provider", actor="provider")
        repository.record_outcome(
            uow.connection, stored.id, status="processed", reason="flagged for review", order_id=order.id
        )
        uow.commit()
    return order.state, order.state
