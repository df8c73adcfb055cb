"""The order state machine, as data.

``TRANSITIONS`` is the one table of allowed moves. It follows the checkout playbook's lifecycle and completes it:

- ``payment_pending -> cancelled``: a customer or operator abandons an unpaid order.
- ``payment_authorized -> expired``: an authorization that was never captured lapses at the provider.
- ``capture_failed -> paid | cancelled``: a capture retried successfully, or the authorization released.
- ``payment_failed -> payment_authorized``: a declined intent confirmed again with a good card, under manual
  capture, is authorized like any other (the customer may retry a decline).
- ``payment_failed -> paid`` and ``expired -> paid``: the provider's truth wins over our timeline; a success
  that arrives late (after a decline of an earlier attempt, or after expiry) still makes the order paid.
- ``payment_failed -> expired``: an order nobody retried paying lapses like any unpaid order.
- ``cancelled -> paid``: money that arrives for a cancelled order is recorded as paid so it can be refunded
  (or, with stock re-reserved, kept); it is never silently ignored.
- ``paid -> cancelled_with_refund``: a paid order that cannot be fulfilled is refunded in full.
- ``partially_fulfilled -> fulfilled | partially_refunded | refunded | cancelled_with_refund``.
- ``fulfilled | partially_refunded | cancelled_with_refund | refunded -> closed``; ``partially_refunded ->
  refunded`` when the remainder is refunded too.
- ``partially_refunded -> fulfillment_pending``: refunding part of an order does not cancel its delivery; an order
  partly refunded before it shipped (a goodwill refund while it was held for review) is still fulfilled.

Terminal: ``closed``. A move to the same state is never a transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from checkout_engine.errors import Conflict


class OrderState(StrEnum):
    DRAFT = "draft"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_AUTHORIZED = "payment_authorized"
    PAID = "paid"
    FULFILLMENT_PENDING = "fulfillment_pending"
    FULFILLED = "fulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    CAPTURE_FAILED = "capture_failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    CANCELLED_WITH_REFUND = "cancelled_with_refund"
    CLOSED = "closed"


S = OrderState

TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    S.DRAFT: frozenset({S.PAYMENT_PENDING, S.CANCELLED}),
    S.PAYMENT_PENDING: frozenset({S.PAYMENT_AUTHORIZED, S.PAID, S.PAYMENT_FAILED, S.EXPIRED, S.CANCELLED}),
    S.PAYMENT_AUTHORIZED: frozenset({S.PAID, S.CANCELLED, S.CAPTURE_FAILED, S.EXPIRED}),
    S.CAPTURE_FAILED: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.FULFILLMENT_PENDING, S.REFUNDED, S.PARTIALLY_REFUNDED, S.CANCELLED_WITH_REFUND}),
    S.FULFILLMENT_PENDING: frozenset({S.FULFILLED, S.PARTIALLY_FULFILLED, S.CANCELLED_WITH_REFUND}),
    S.PARTIALLY_FULFILLED: frozenset({S.FULFILLED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.CANCELLED_WITH_REFUND}),
    S.FULFILLED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED, S.CLOSED}),
    S.PARTIALLY_REFUNDED: frozenset({S.FULFILLMENT_PENDING, S.REFUNDED, S.CLOSED}),
    S.PAYMENT_FAILED: frozenset({S.PAYMENT_PENDING, S.PAYMENT_AUTHORIZED, S.PAID, S.EXPIRED, S.CANCELLED}),
    S.EXPIRED: frozenset({S.PAYMENT_PENDING, S.PAID, S.CANCELLED}),
    S.CANCELLED: frozenset({S.PAID}),
    S.REFUNDED: frozenset({S.CLOSED}),
    S.CANCELLED_WITH_REFUND: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}


def _reaching(target: OrderState) -> frozenset[OrderState]:
    return frozenset(state for state, nexts in TRANSITIONS.items() if target in nexts)


# The named sets of states, each with one home here, beside the table they are read from.

# The provider took the customer's money for the order (some may have gone back since).
MONEY_IN = frozenset(
    {S.PAID, S.FULFILLMENT_PENDING, S.PARTIALLY_FULFILLED, S.FULFILLED, S.PARTIALLY_REFUNDED}
    | {S.REFUNDED, S.CANCELLED_WITH_REFUND, S.CLOSED}
)
# The order keeps the money of one payment, in full or in part: the customer is owed the goods (and downloads).
KEEPS_MONEY = frozenset({S.PAID, S.FULFILLMENT_PENDING, S.PARTIALLY_FULFILLED, S.FULFILLED, S.PARTIALLY_REFUNDED})
# Everything the order took went back.
RETURNED_MONEY = frozenset({S.REFUNDED, S.CANCELLED_WITH_REFUND})
# A success seen from the provider makes the order paid (the provider's word on money wins).
PAYABLE = _reaching(S.PAID)
# No money reached the order: it can be cancelled (an authorization only held is voided).
CANCELLABLE = _reaching(S.CANCELLED)
# Paid and not delivered: a person may cancel it (with a second person's approval), giving the money back.
CANCELLABLE_WITH_REFUND = frozenset({S.PAID, S.FULFILLMENT_PENDING})
# A person may close it (with a second person's approval): nothing more is to happen to it.
CLOSABLE = _reaching(S.CLOSED)
# Unpaid and over: a payment arriving now is a late payment.
ENDED_UNPAID = frozenset({S.EXPIRED, S.CANCELLED})
# Waiting for the customer's payment: the order lapses when its stock hold runs out.
EXPIRABLE = frozenset({S.PAYMENT_PENDING, S.PAYMENT_FAILED})
# A customer may start a new payment attempt.
REOPENABLE = frozenset({S.PAYMENT_FAILED, S.EXPIRED})
# A newly created intent may become the order's live payment (``payment_pending``: a retry found it recorded).
TAKES_AN_INTENT = frozenset({S.DRAFT, S.PAYMENT_PENDING}) | REOPENABLE
# An authorization may land on the order (it is waiting for its payment, or its last one was declined).
AUTHORIZABLE = frozenset({S.PAYMENT_PENDING, S.PAYMENT_FAILED})
# The provider holds an authorization for the order that is not captured.
HOLDS_AUTHORIZATION = frozenset({S.PAYMENT_AUTHORIZED, S.CAPTURE_FAILED})
# May hold stock and a coupon: still to be paid, or paid but not captured yet.
HOLDS_STOCK = frozenset({S.DRAFT, S.PAYMENT_PENDING, S.PAYMENT_AUTHORIZED, S.CAPTURE_FAILED})
# May hold a coupon redemption: as for stock, and after a decline too, since the customer may confirm the same
# intent again with another card (a redemption given back then could be spent twice).
HOLDS_COUPON = HOLDS_STOCK | {S.PAYMENT_FAILED}
# Fulfilment may start (``partially_refunded`` only if it never started: a refund does not cancel the delivery).
FULFILLABLE = frozenset({S.PAID, S.FULFILLMENT_PENDING, S.PARTIALLY_REFUNDED})
# Goods are being or were delivered.
FULFILLING = frozenset({S.FULFILLMENT_PENDING, S.PARTIALLY_FULFILLED, S.FULFILLED})
# Waiting on something outside us (the provider, the warehouse): an order here too long is stuck.
STUCK_IF_OLD = frozenset({S.PAYMENT_PENDING, S.PAYMENT_AUTHORIZED, S.CAPTURE_FAILED, S.FULFILLMENT_PENDING})


class InvalidTransition(Conflict):
    code = "invalid_transition"


class TransitionConflict(Conflict):
    """Another process changed the order first; re-read it and decide again."""

    code = "order_state_conflict"


def allowed(current: OrderState, target: OrderState) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: OrderState, target: OrderState) -> None:
    if not allowed(current, target):
        raise InvalidTransition(
            f"An order cannot move from {current} to {target}.",
            details={
                "from": current.value,
                "to": target.value,
                "allowed": sorted(state.value for state in TRANSITIONS[current]),
            },
        )


class EventKind(StrEnum):
    TRANSITION = "transition"
    REVIEW_FLAGGED = "review_flagged"
    REVIEW_CLEARED = "review_cleared"


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    cart_id: str
    state: OrderState
    version: int
    needs_review: bool
    review_reason: str | None
    currency: str
    total: int
    customer_id: str | None
    email: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderEvent:
    id: int
    order_id: str
    kind: EventKind
    from_state: OrderState | None
    to_state: OrderState | None
    reason: str
    actor: str
    provider_event_id: str | None
    at: datetime
