"""What the provider's truth means for an order: a pure judgement of the order's current state against the
payment's current status, whatever order the events arrived in.

The provider's word on money wins: a success after a decline, an expiry or a cancellation still makes the order
paid (later steps decide whether to keep or refund the money). A failure only counts for the order's latest
attempt while nothing better happened. Anything else is recorded as ignored, with the reason.

An order keeps the one payment whose success made it paid; any other payment that succeeds for it is refunded in
full, once, however often its success is seen again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from checkout_engine.orders.model import (
    AUTHORIZABLE,
    ENDED_UNPAID,
    HOLDS_AUTHORIZATION,
    MONEY_IN,
    PAYABLE,
    OrderState,
)
from checkout_engine.payments.model import PaymentStatus

S = OrderState


class Action(StrEnum):
    PAY = "pay"
    AUTHORIZE = "authorize"
    FAIL = "fail"
    CANCEL = "cancel"  # the provider released an authorization
    VOID = "void"  # an intent that must take no money (an authorization or a payable intent of an order that is
    # over, or of an attempt the order moved on from): release it at the provider
    REFUND_DUPLICATE = "refund_duplicate"  # a second payment succeeded for an already paid order
    WAIT = "wait"  # our own checkout has not finished recording the intent yet: try again shortly
    NOTHING = "nothing"


# Statuses in which the customer can still pay the intent.
CONFIRMABLE = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED})


@dataclass(frozen=True, slots=True)
class Judgement:
    action: Action
    reason: str


def judge(
    state: OrderState,
    status: PaymentStatus,
    *,
    latest_attempt: bool,
    paid_by_other: bool,
    refunded_as_duplicate: bool,
    being_recorded: bool = False,
) -> Judgement:
    """``paid_by_other``: another attempt's success made the order paid (that one is kept, this one is extra).
    ``refunded_as_duplicate``: this attempt's duplicate refund was already decided. ``being_recorded``: the attempt
    is still ``creating``, its checkout (a new attempt for an expired order, say) has not recorded the intent yet."""
    if state is S.DRAFT:
        return Judgement(Action.WAIT, "checkout still recording the intent")
    if status is PaymentStatus.SUCCEEDED:
        if state in PAYABLE:
            return Judgement(Action.PAY, "payment_succeeded" if state not in ENDED_UNPAID else "late_payment")
        # A success seen again (a duplicate delivery, a replay, reconciliation) never refunds the kept payment, nor
        # an extra one a second time.
        if refunded_as_duplicate:
            return Judgement(Action.NOTHING, "duplicate payment already refunded")
        if paid_by_other:
            return Judgement(Action.REFUND_DUPLICATE, "a second payment succeeded for a paid order")
        return Judgement(Action.NOTHING, f"already {state}")
    if status is PaymentStatus.AUTHORIZED:
        if state in AUTHORIZABLE:
            return Judgement(Action.AUTHORIZE, "payment_authorized")
        if state in ENDED_UNPAID:
            return Judgement(Action.VOID, f"authorization for an order that is {state}")
        return Judgement(Action.NOTHING, f"authorization while {state}")
    if status is PaymentStatus.FAILED and state is S.PAYMENT_PENDING and latest_attempt:
        return Judgement(Action.FAIL, "payment_failed")
    if status in CONFIRMABLE and being_recorded:
        return Judgement(Action.NOTHING, "a new attempt its checkout is still recording")
    if status in CONFIRMABLE and (state in MONEY_IN or state in ENDED_UNPAID or not latest_attempt):
        # The customer could still pay this intent (a decline, or a delayed payment that failed, leaves it open):
        # an order that is over, or has moved on to a newer attempt, must not be payable through it.
        return Judgement(Action.VOID, f"payable intent of an order that is {state}")
    if status is PaymentStatus.FAILED:
        return Judgement(Action.NOTHING, f"stale failure: order is {state}")
    if status is PaymentStatus.CANCELED:
        if state in HOLDS_AUTHORIZATION and latest_attempt:
            return Judgement(Action.CANCEL, "authorization_canceled")
        if state is S.PAYMENT_PENDING and latest_attempt:
            return Judgement(Action.FAIL, "payment_canceled")
        return Judgement(Action.NOTHING, f"cancellation while {state}")
    return Judgement(Action.NOTHING, f"payment {status}: no change yet")
