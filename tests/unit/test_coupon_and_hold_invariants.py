"""Coupons stay within their limits and are spent exactly by paid orders; stock and coupons are held only by
orders still waiting, and not past their time."""

from __future__ import annotations

from datetime import timedelta

from checkout_engine.invariants import check_all, database_checks
from checkout_engine.invariants.coupons import coupons_spent_by_paid_orders, coupons_within_limits
from checkout_engine.invariants.holds import holds_belong_to_waiting_orders, holds_released_in_time
from checkout_engine.invariants.world import (
    AttemptRow,
    CouponRow,
    LineRow,
    OrderRow,
    ProviderPayment,
    ProviderRefund,
    RedemptionRow,
    RefundRow,
    ReservationRow,
    StockRow,
)
from support.books import NOW, ORDER, PAID_ROAD, PRICE, history, shop

WAITING = "ord_2"
ROADS = {
    "payment_pending": ("draft", "payment_pending"),
    "cancelled": ("draft", "payment_pending", "cancelled"),
    "capture_failed": ("draft", "payment_pending", "payment_authorized", "capture_failed"),
    "payment_failed": ("draft", "payment_pending", "payment_failed"),
}


def with_coupon(status: str, *, state_of_order: str | None = None, limit: int | None = 1) -> dict[str, object]:
    """The shop's order discounted by HALF (its snapshot applied it), its redemption in ``status``."""
    changes: dict[str, object] = {
        "coupons": (CouponRow("HALF", limit),),
        "applied_coupons": {ORDER: "HALF"},
        "redemptions": (RedemptionRow("HALF", ORDER, status),),
    }
    if state_of_order:
        changes["orders"] = (OrderRow(ORDER, state_of_order, PRICE),)
    return changes


def a_waiting_order(state: str, *, expires_in: timedelta, holding: bool = True) -> dict[str, object]:
    """The shop plus a second order in ``state`` whose hold runs out ``expires_in`` from when the books were read,
    holding one lamp and a coupon."""
    world = shop()
    return {
        "orders": (*world.orders, OrderRow(WAITING, state, PRICE, expires_at=NOW + expires_in)),
        "events": (*world.events, *history(WAITING, *ROADS[state], start=100)),
        "lines": (*world.lines, LineRow(WAITING, "LAMP", 1, "physical")),
        "reservations": (*world.reservations, ReservationRow(WAITING, "LAMP", 1, "active" if holding else "released")),
        "stock": (StockRow("LAMP", 2, 1 if holding else 0),),
        "coupons": (CouponRow("HALF", None),),
        "applied_coupons": {WAITING: "HALF"},
        "redemptions": (RedemptionRow("HALF", WAITING, "reserved" if holding else "released"),),
    }


def test_a_coupon_spent_by_its_paid_order_breaks_no_invariant() -> None:
    assert check_all(shop(**with_coupon("consumed"))) == []


def test_more_redemptions_than_the_coupon_allows_is_a_violation() -> None:
    over = (RedemptionRow("HALF", ORDER, "consumed"), RedemptionRow("HALF", "ord_9", "reserved"))
    world = shop(**{**with_coupon("consumed"), "redemptions": over})
    assert [(v.subject, v.detail) for v in coupons_within_limits(world)] == [("HALF", "2 redeemed of 1")]
    released = (RedemptionRow("HALF", ORDER, "consumed"), RedemptionRow("HALF", "ord_9", "released"))
    assert coupons_within_limits(shop(**{**with_coupon("consumed"), "redemptions": released})) == []


def test_one_beyond_the_limit_is_allowed_only_as_the_consumed_redemption_of_a_paid_order_under_review() -> None:
    """A payment that succeeded after its order gave the redemption back spent the coupon all the same; the engine
    flags that order for a person (``catalog.redemptions.Spent.OVER_LIMIT``)."""
    over = (RedemptionRow("HALF", ORDER, "consumed"), RedemptionRow("HALF", "ord_9", "reserved"))
    paid = shop().orders[0]
    flagged = (OrderRow(ORDER, paid.state, PRICE, needs_review=True),)
    reviewed = shop(**{**with_coupon("consumed"), "redemptions": over, "orders": flagged})
    assert coupons_within_limits(reviewed) == []
    reserved_by_reviewed = (RedemptionRow("HALF", ORDER, "reserved"), RedemptionRow("HALF", "ord_9", "reserved"))
    held = shop(**{**with_coupon("consumed"), "redemptions": reserved_by_reviewed, "orders": flagged})
    assert [v.detail for v in coupons_within_limits(held)] == ["2 redeemed of 1"]


def test_a_paid_order_whose_coupon_was_given_back_did_not_spend_it_and_is_a_violation() -> None:
    """The bug behind incident 0008: released after a decline, then the same intent paid after all."""
    violations = coupons_spent_by_paid_orders(shop(**with_coupon("released")))
    assert [(v.subject, v.detail) for v in violations] == [
        (ORDER, "fulfilled with coupon HALF, its redemption is released")
    ]


def test_an_order_refunded_in_full_still_spent_its_coupon() -> None:
    refunded = {
        **with_coupon("consumed", state_of_order="refunded"),
        "events": history(ORDER, *PAID_ROAD, "refunded"),
        "refunds": (RefundRow("rf_1", ORDER, "pat_1", PRICE, "succeeded", "re_1"),),
        "provider_refunds": (ProviderRefund("re_1", "pi_1", PRICE, "succeeded", "rf_1"),),
    }
    assert check_all(shop(**refunded)) == []


def test_a_coupon_consumed_by_an_order_that_was_never_paid_is_a_violation() -> None:
    world = shop(
        **with_coupon("consumed", state_of_order="expired"),
        events=history(ORDER, "draft", "payment_pending", "expired"),
    )
    assert [v.detail for v in coupons_spent_by_paid_orders(world)] == ["consumed coupon HALF while expired"]


def test_an_order_waiting_for_payment_holds_its_stock_and_coupon_until_its_time() -> None:
    world = shop(**a_waiting_order("payment_pending", expires_in=timedelta(minutes=5)))
    assert check_all(world) == []


def test_a_hold_of_an_order_that_ended_is_a_violation() -> None:
    world = shop(**a_waiting_order("cancelled", expires_in=timedelta(minutes=5)))
    assert [v.detail for v in holds_belong_to_waiting_orders(world)] == [
        "holds 1 LAMP while cancelled",
        "holds coupon HALF while cancelled",
    ]
    released = shop(**a_waiting_order("cancelled", expires_in=timedelta(minutes=5), holding=False))
    assert holds_belong_to_waiting_orders(released) == []


def test_a_declined_order_keeps_its_coupon_but_not_its_stock() -> None:
    """After a decline the customer may pay the same intent with another card: the coupon stays reserved."""
    keeps_coupon = shop(**a_waiting_order("payment_failed", expires_in=timedelta(minutes=5)))
    assert [v.detail for v in holds_belong_to_waiting_orders(keeps_coupon)] == ["holds 1 LAMP while payment_failed"]
    coupon_only = {**a_waiting_order("payment_failed", expires_in=timedelta(minutes=5), holding=False)}
    coupon_only["redemptions"] = (RedemptionRow("HALF", WAITING, "reserved"),)
    assert check_all(shop(**coupon_only)) == []


def test_a_declined_order_holds_stock_again_only_while_a_new_attempt_for_it_is_being_made() -> None:
    """A new attempt holds the stock before its intent exists; the order becomes payment_pending once it does."""
    reopening = a_waiting_order("payment_failed", expires_in=timedelta(minutes=5))
    reopening["attempts"] = (*shop().attempts, AttemptRow("pat_new", WAITING, None, "creating", PRICE, 0))
    assert holds_belong_to_waiting_orders(shop(**reopening)) == []
    given_up = {**reopening, "attempts": (*shop().attempts, AttemptRow("pat_new", WAITING, None, "canceled", PRICE, 0))}
    assert [v.detail for v in holds_belong_to_waiting_orders(shop(**given_up))] == ["holds 1 LAMP while payment_failed"]


def test_an_order_stuck_in_capture_failed_holding_past_its_time_is_a_violation() -> None:
    world = shop(**a_waiting_order("capture_failed", expires_in=-timedelta(minutes=1)))
    assert holds_belong_to_waiting_orders(world) == []
    assert [v.subject for v in holds_released_in_time(world)] == [WAITING, WAITING]
    assert holds_released_in_time(shop(**a_waiting_order("capture_failed", expires_in=timedelta(minutes=1)))) == []


def test_our_database_alone_proves_stock_history_holds_coupons_and_refunds() -> None:
    """``database_checks`` looks at nothing from the provider: a shop whose provider records are unknown passes."""
    ours = shop(provider_payments=(), provider_refunds=(), initial_stock={})
    assert database_checks(ours) == []
    stuck = shop(**a_waiting_order("capture_failed", expires_in=-timedelta(minutes=1)), provider_payments=())
    assert {v.invariant for v in database_checks(stuck)} == {"holds_released_in_time"}
    stray = ProviderPayment("pi_9", "succeeded", 100, 100, "ord_gone", "pat_9", "succeeded")
    assert database_checks(shop(provider_payments=(stray,))) == []
