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


OVER = [*sorted(state for state in OrderState if state not in PAYABLE and state is not S.DRAFT), S.EXPIRED, S.CANCELLED]


def verdict(state: OrderState, status: PaymentStatus, *, latest: bool = True) -> Action:
    return judge(state, status, latest_attempt=latest, paid_by_other=False, refunded_as_duplicate=False).action


@pytest.mark.parametrize("status", [PaymentStatus.FAILED, PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION])
@pytest.mark.parametrize("state", OVER)
def test_an_intent_still_payable_for_an_order_that_is_over_is_released(
    state: OrderState, status: PaymentStatus
) -> None:
    assert verdict(state, status) is Action.VOID


def test_an_earlier_attempt_the_order_moved_on_from_is_released_and_the_live_one_left_alone() -> None:
    assert verdict(S.PAYMENT_PENDING, PaymentStatus.FAILED, latest=False) is Action.VOID
    assert verdict(S.PAYMENT_PENDING, PaymentStatus.PENDING) is Action.NOTHING
    assert verdict(S.PAYMENT_FAILED, PaymentStatus.FAILED) is Action.NOTHING  # the customer may try again


def test_the_intent_of_a_new_attempt_for_an_expired_order_is_left_alone_while_its_checkout_records_it() -> None:
    recording = judge(
        S.EXPIRED,
        PaymentStatus.PENDING,
        latest_attempt=True,
        paid_by_other=False,
        refunded_as_duplicate=False,
        being_recorded=True,
    )
    assert recording.action is Action.NOTHING
