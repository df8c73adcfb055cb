"""The transition table itself: complete, closed, and true to the playbook's lifecycle."""

import pytest

from checkout_engine.orders.model import TRANSITIONS, InvalidTransition, OrderState, allowed, check_transition

PLAYBOOK = {
    "draft": ["payment_pending", "cancelled"],
    "payment_pending": ["payment_authorized", "paid", "payment_failed", "expired"],
    "payment_authorized": ["paid", "cancelled", "capture_failed"],
    "paid": ["fulfillment_pending", "refunded", "partially_refunded"],
    "fulfillment_pending": ["fulfilled", "partially_fulfilled", "cancelled_with_refund"],
    "fulfilled": ["refunded", "partially_refunded"],
    "payment_failed": ["payment_pending", "cancelled"],
    "expired": ["payment_pending", "cancelled"],
    "refunded": ["closed"],
}


def test_every_state_has_a_row_and_every_target_is_a_state() -> None:
    assert set(TRANSITIONS) == set(OrderState)
    for targets in TRANSITIONS.values():
        assert targets <= set(OrderState)


def test_every_move_of_the_playbook_lifecycle_is_allowed() -> None:
    for source, targets in PLAYBOOK.items():
        for target in targets:
            assert allowed(OrderState(source), OrderState(target)), f"{source} -> {target}"


def test_no_state_moves_to_itself_and_closed_is_terminal() -> None:
    for state, targets in TRANSITIONS.items():
        assert state not in targets
    assert TRANSITIONS[OrderState.CLOSED] == frozenset()


def test_nothing_reaches_fulfilment_without_passing_through_paid() -> None:
    reachable_without_paid = {OrderState.DRAFT}
    frontier = [OrderState.DRAFT]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target is not OrderState.PAID and target not in reachable_without_paid:
                reachable_without_paid.add(target)
                frontier.append(target)
    fulfilment = {OrderState.FULFILLMENT_PENDING, OrderState.FULFILLED, OrderState.PARTIALLY_FULFILLED}
    assert not fulfilment & reachable_without_paid
    assert OrderState.REFUNDED not in reachable_without_paid


def test_a_refused_move_names_the_moves_that_are_allowed() -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_transition(OrderState.DRAFT, OrderState.FULFILLED)
    assert refused.value.code == "invalid_transition"
    assert refused.value.details == {"from": "draft", "to": "fulfilled", "allowed": ["cancelled", "payment_pending"]}
