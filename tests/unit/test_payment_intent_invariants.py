"""Every intent is one of our attempts and each attempt says what its intent says; an order offers at most one
intent to pay, and none once it is over."""

from __future__ import annotations

from checkout_engine.invariants import check_all
from checkout_engine.invariants.intents import (
    attempts_match_intents,
    money_in_is_proven,
    no_confirmable_intent_once_over,
    one_confirmable_intent_per_order,
    provider_payments_are_ours,
)
from checkout_engine.invariants.world import AttemptRow, OrderRow, ProviderPayment
from support.books import ORDER, PRICE, history, shop

WAITING = "ord_2"


def open_intent(
    intent_id: str, attempt_id: str, order_id: str = WAITING, status: str = "requires_payment_method"
) -> ProviderPayment:
    return ProviderPayment(intent_id, status, PRICE, 0, order_id, attempt_id, "pending")


def an_order_waiting_for_payment(*intents: ProviderPayment, state: str = "payment_pending") -> dict[str, object]:
    """The shop plus an unpaid second order, with one pending attempt per intent."""
    world = shop()
    attempts = tuple(AttemptRow(i.attempt_id or "", WAITING, i.id, "pending", PRICE, 0) for i in intents)
    road = ("draft", "payment_pending") + ((state,) if state != "payment_pending" else ())
    return {
        "orders": (*world.orders, OrderRow(WAITING, state, PRICE)),
        "events": (*world.events, *history(WAITING, *road, start=100)),
        "attempts": (*world.attempts, *attempts),
        "provider_payments": (*world.provider_payments, *intents),
    }


def test_a_stale_read_that_moved_an_attempt_back_is_a_violation() -> None:
    """Ours ``processing`` while the provider says ``succeeded`` (incident 0005)."""
    behind = shop(attempts=(AttemptRow("pat_1", ORDER, "pi_1", "processing", PRICE, PRICE),))
    violations = attempts_match_intents(behind)
    assert [(v.subject, v.detail) for v in violations] == [
        ("pat_1", "processing in our books, the provider's intent is succeeded (succeeded)")
    ]
    assert attempts_match_intents(shop()) == []


def test_an_attempt_compares_with_its_intent_as_the_adapter_maps_it() -> None:
    """Stripe's ``requires_payment_method`` after a decline is our ``failed``; before any, our ``pending``."""
    declined = ProviderPayment("pi_2", "requires_payment_method", PRICE, 0, WAITING, "pat_2", "failed")
    world = shop(**an_order_waiting_for_payment(declined, state="payment_failed"))
    assert [v.subject for v in attempts_match_intents(world)] == ["pat_2"]
    failed = AttemptRow("pat_2", WAITING, "pi_2", "failed", PRICE, 0)
    assert attempts_match_intents(shop(**{**an_order_waiting_for_payment(declined), "attempts": (failed,)})) == []


def test_an_attempt_naming_an_intent_the_provider_does_not_know_is_a_violation() -> None:
    world = shop(attempts=(*shop().attempts, AttemptRow("pat_2", ORDER, "pi_gone", "canceled", PRICE, 0)))
    assert [v.subject for v in attempts_match_intents(world)] == ["pat_2"]


def test_two_intents_the_customer_could_still_pay_for_one_order_are_a_violation() -> None:
    """A new attempt after a decline must stop the old intent first (incident 0006)."""
    both = shop(**an_order_waiting_for_payment(open_intent("pi_2", "pat_2"), open_intent("pi_3", "pat_3")))
    assert [(v.subject, v.detail) for v in one_confirmable_intent_per_order(both)] == [
        (WAITING, "confirmable intents ['pi_2', 'pi_3']")
    ]
    stopped = ProviderPayment("pi_2", "canceled", PRICE, 0, WAITING, "pat_2", "canceled")
    one = shop(**an_order_waiting_for_payment(stopped, open_intent("pi_3", "pat_3")))
    assert one_confirmable_intent_per_order(one) == []


def test_an_order_waiting_for_payment_may_offer_one_intent() -> None:
    assert check_all(shop(**an_order_waiting_for_payment(open_intent("pi_2", "pat_2")))) == []


def test_an_intent_left_open_once_the_order_is_over_is_a_violation() -> None:
    """Paid by one tab, the other tab's intent still payable; or an expired order whose intent was never stopped."""
    other_tab = open_intent("pi_2", "pat_2", order_id=ORDER, status="requires_action")
    paid = shop(
        attempts=(*shop().attempts, AttemptRow("pat_2", ORDER, "pi_2", "pending", PRICE, 0)),
        provider_payments=(*shop().provider_payments, other_tab),
    )
    assert [v.subject for v in no_confirmable_intent_once_over(paid)] == [ORDER]
    expired = shop(**an_order_waiting_for_payment(open_intent("pi_2", "pat_2"), state="expired"))
    assert [v.subject for v in no_confirmable_intent_once_over(expired)] == [WAITING]
    assert no_confirmable_intent_once_over(shop(**an_order_waiting_for_payment(open_intent("pi_2", "pat_2")))) == []


def test_an_intent_that_is_none_of_our_attempts_is_a_violation() -> None:
    stray = open_intent("pi_9", "pat_9", order_id="ord_gone")
    assert [
        v.subject for v in provider_payments_are_ours(shop(provider_payments=(*shop().provider_payments, stray)))
    ] == ["pi_9"]
    assert provider_payments_are_ours(shop()) == []


def test_an_order_counting_money_no_payment_brought_is_a_violation() -> None:
    unpaid = shop(provider_payments=(ProviderPayment("pi_1", "processing", PRICE, 0, ORDER, "pat_1", "processing"),))
    assert [v.subject for v in money_in_is_proven(unpaid)] == [ORDER]
    assert money_in_is_proven(shop()) == []
