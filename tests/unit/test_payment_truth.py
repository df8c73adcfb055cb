"""The judge's word on a payment success for an order that is already paid: the order keeps the payment that paid
it, and any other one is refunded as a duplicate exactly once, however often its success is seen again."""

import pytest

from checkout_engine.orders.model import OrderState
from checkout_engine.payments.model import PaymentStatus
from checkout_engine.payments.truth import PAYABLE, Action, judge

S = OrderState
PAID_ALREADY = [state for state in OrderState if state not in PAYABLE and state is not S.DRAFT]


def success(state: OrderState, *, paid_by_other: bool, refunded_as_duplicate: bool = False) -> Action:
    return judge(
        state,
        PaymentStatus.SUCCEEDED,
        latest_attempt=False,
        paid_by_other=paid_by_other,
        refunded_as_duplicate=refunded_as_duplicate,
    ).action


@pytest.mark.parametrize("state", PAID_ALREADY)
def test_the_payment_that_paid_the_order_is_never_refunded_as_a_duplicate(state: OrderState) -> None:
    assert success(state, paid_by_other=False) is Action.NOTHING


@pytest.mark.parametrize("state", PAID_ALREADY)
def test_another_payment_succeeding_for_a_paid_order_is_refunded_as_a_duplicate(state: OrderState) -> None:
    assert success(state, paid_by_other=True) is Action.REFUND_DUPLICATE


@pytest.mark.parametrize("state", PAID_ALREADY)
def test_a_duplicate_seen_again_after_its_refund_was_decided_changes_nothing(state: OrderState) -> None:
    assert success(state, paid_by_other=True, refunded_as_duplicate=True) is Action.NOTHING


@pytest.mark.parametrize("state", sorted(PAYABLE))
def test_a_success_pays_an_unpaid_order_whatever_other_attempts_did(state: OrderState) -> None:
    assert success(state, paid_by_other=True) is Action.PAY
    assert success(state, paid_by_other=False) is Action.PAY


def test_a_success_before_checkout_recorded_the_intent_waits() -> None:
    assert success(S.DRAFT, paid_by_other=True) is Action.WAIT
