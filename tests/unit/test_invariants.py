"""The money invariants (``checkout_engine.invariants``) can fail: each is fed crafted rows of a healthy shop, then
one thing is broken."""

from __future__ import annotations

from dataclasses import replace

from checkout_engine.chaos.answers import Answer, idempotent_replays
from checkout_engine.invariants import check_all
from checkout_engine.invariants.history import fulfillment_proven, history_complete
from checkout_engine.invariants.holds import holds_belong_to_waiting_orders
from checkout_engine.invariants.intents import succeeded_attempts_are_proven
from checkout_engine.invariants.payments import (
    ledger_matches_provider,
    one_kept_payment_per_order,
    orders_priced_by_their_snapshot,
    paid_orders_keep_their_price,
    provider_money_matches_orders,
)
from checkout_engine.invariants.refunds import failed_refunds_reviewed, refunds_match_provider, refunds_within_captured
from checkout_engine.invariants.stock import stock_agrees
from checkout_engine.invariants.work import jobs_settled
from checkout_engine.invariants.world import (
    AttemptRow,
    EventRow,
    JobRow,
    LineRow,
    OrderRow,
    ProviderPayment,
    ProviderRefund,
    RefundRow,
    ReservationRow,
    StockRow,
)
from checkout_engine.orders.effects import OUT_OF_STOCK_REASON
from support.books import ORDER, PAID_ROAD, PRICE, history, second_payment, shop


def test_a_healthy_shop_breaks_no_invariant() -> None:
    assert check_all(shop()) == []


def test_an_order_asking_other_than_its_snapshot_is_a_violation() -> None:
    """Settlement judges the provider's amount against the order's total: it must be the frozen snapshot's."""
    assert orders_priced_by_their_snapshot(shop(orders=(OrderRow(ORDER, "fulfilled", PRICE, currency="EUR"),))) == []
    drifted = shop(orders=(OrderRow(ORDER, "fulfilled", PRICE + 1),))
    assert ("orders_priced_by_their_snapshot", ORDER) in {(v.invariant, v.subject) for v in check_all(drifted)}
    other_currency = shop(orders=(OrderRow(ORDER, "fulfilled", PRICE, currency="USD"),))
    assert [v.subject for v in orders_priced_by_their_snapshot(other_currency)] == [ORDER]


def test_two_unrefunded_payments_for_one_order_are_a_violation() -> None:
    violations = one_kept_payment_per_order(shop(**second_payment(refunded_by=None)))
    assert [v.subject for v in violations] == [ORDER]


def test_a_second_payment_refunded_by_the_engine_is_fine() -> None:
    assert check_all(shop(**second_payment(refunded_by="system"))) == []


def test_refunding_the_payment_that_paid_a_fulfilled_order_as_a_duplicate_is_a_violation() -> None:
    """What the chaos run found: both payments of a twice-paid order refunded as 'duplicates'."""
    world = shop(**second_payment(refunded_by="system"))
    both = (
        *world.refunds,
        RefundRow("rf_1", ORDER, "pat_1", PRICE, "succeeded", "re_1", "system", "a second payment succeeded"),
    )
    world = replace(
        world,
        refunds=both,
        provider_refunds=(*world.provider_refunds, ProviderRefund("re_1", "pi_1", PRICE, "succeeded", "rf_1")),
        orders=(OrderRow(ORDER, "refunded", PRICE),),
        events=history(ORDER, *PAID_ROAD, "refunded"),
    )
    assert [v.invariant for v in check_all(world)] == ["paid_orders_keep_their_price"]


def test_a_full_refund_because_the_stock_was_gone_keeps_nothing_and_is_fine() -> None:
    world = shop(
        orders=(OrderRow(ORDER, "refunded", PRICE),),
        events=history(ORDER, "draft", "payment_pending", "expired", "paid", "refunded"),
        refunds=(RefundRow("rf_1", ORDER, "pat_1", PRICE, "succeeded", "re_1", "system", OUT_OF_STOCK_REASON),),
        provider_refunds=(ProviderRefund("re_1", "pi_1", PRICE, "succeeded", "rf_1"),),
        reservations=(),
        stock=(StockRow("LAMP", 3, 0),),
        shipments={},
    )
    assert paid_orders_keep_their_price(world) == []
    assert provider_money_matches_orders(world) == []


def test_money_kept_for_an_expired_order_is_a_violation() -> None:
    world = shop(
        orders=(OrderRow(ORDER, "expired", PRICE),),
        events=history(ORDER, "draft", "payment_pending", "expired"),
        reservations=(ReservationRow(ORDER, "LAMP", 1, "released"),),
        stock=(StockRow("LAMP", 3, 0),),
        shipments={},
    )
    assert [v.subject for v in provider_money_matches_orders(world)] == [ORDER]


def test_a_paid_order_without_money_at_the_provider_is_a_violation() -> None:
    world = shop(provider_payments=(ProviderPayment("pi_1", "canceled", PRICE, 0, ORDER, "pat_1"),))
    assert provider_money_matches_orders(world)
    assert [v.subject for v in succeeded_attempts_are_proven(world)] == ["pat_1"]


def test_a_payment_for_an_unknown_order_is_a_violation() -> None:
    stray = ProviderPayment("pi_9", "succeeded", 100, 100, "ord_gone", "pat_9")
    world = shop(provider_payments=(*shop().provider_payments, stray))
    assert [v.subject for v in provider_money_matches_orders(world)] == ["pi_9"]
    assert [v.subject for v in ledger_matches_provider(world)] == ["pi_9"]


def test_our_ledger_disagreeing_with_the_provider_is_a_violation() -> None:
    world = shop(attempts=(AttemptRow("pat_1", ORDER, "pi_1", "pending", PRICE, 0),))
    assert [v.subject for v in ledger_matches_provider(world)] == ["pi_1"]


def test_selling_more_than_was_stocked_is_a_violation() -> None:
    sold = tuple(ReservationRow(f"ord_{n}", "LAMP", 1, "committed") for n in range(4))
    world = shop(reservations=sold, stock=(StockRow("LAMP", 0, 0),))
    assert any("oversold" in v.detail for v in stock_agrees(world))


def test_reserved_units_without_reservation_rows_are_a_violation() -> None:
    assert [v.subject for v in stock_agrees(shop(stock=(StockRow("LAMP", 2, 1),)))] == ["LAMP"]


def test_stock_held_by_an_expired_order_is_a_violation() -> None:
    world = shop(
        orders=(*shop().orders, OrderRow("ord_2", "expired", PRICE)),
        events=(*shop().events, *history("ord_2", "draft", "payment_pending", "expired", start=100)),
        lines=(*shop().lines, LineRow("ord_2", "LAMP", 1, "physical")),
        reservations=(*shop().reservations, ReservationRow("ord_2", "LAMP", 1, "active")),
        stock=(StockRow("LAMP", 2, 1),),
    )
    assert stock_agrees(world) == []
    assert [v.subject for v in holds_belong_to_waiting_orders(world)] == ["ord_2"]


def test_holding_or_taking_more_than_the_order_bought_is_a_violation() -> None:
    world = shop(reservations=(ReservationRow(ORDER, "LAMP", 2, "committed"),), stock=(StockRow("LAMP", 1, 0),))
    assert [v.detail for v in stock_agrees(world)] == [
        "holds or took 2 LAMP, bought 1",
        "fulfilled 1 LAMP, 2 taken from stock",
    ]


def test_refunding_more_than_was_captured_is_a_violation() -> None:
    world = shop(
        refunds=(
            RefundRow("rf_1", ORDER, "pat_1", 2000, "succeeded", "re_1"),
            RefundRow("rf_2", ORDER, "pat_1", 1000, "succeeded", "re_2"),
        ),
        provider_refunds=(
            ProviderRefund("re_1", "pi_1", 2000, "succeeded", "rf_1"),
            ProviderRefund("re_2", "pi_1", 1000, "succeeded", "rf_2"),
        ),
    )
    assert {v.subject for v in refunds_within_captured(world)} == {"pi_1", "pat_1"}


def test_our_refund_records_must_equal_the_providers() -> None:
    ours = (RefundRow("rf_1", ORDER, "pat_1", 500, "succeeded", "re_1"),)
    assert refunds_match_provider(shop(refunds=ours, provider_refunds=())) != []
    differing = (ProviderRefund("re_1", "pi_1", 700, "succeeded", "rf_1"),)
    assert refunds_match_provider(shop(refunds=ours, provider_refunds=differing)) != []
    unknown = (ProviderRefund("re_9", "pi_1", 100, "succeeded", None),)
    assert [v.subject for v in refunds_match_provider(shop(provider_refunds=unknown))] == ["re_9"]


def test_a_refund_the_provider_refused_needs_no_provider_record() -> None:
    refused = (RefundRow("rf_1", ORDER, "pat_1", 500, "failed", None),)
    assert refunds_match_provider(shop(refunds=refused)) == []


def test_a_failed_refund_nobody_was_told_of_is_a_violation() -> None:
    failed = (RefundRow("rf_1", ORDER, "pat_1", 500, "failed", "re_1"),)
    assert [v.subject for v in failed_refunds_reviewed(shop(refunds=failed))] == [ORDER]
    flag = EventRow(99, ORDER, "review_flagged", "fulfilled", "fulfilled", reason="refund rf_1 failed at the provider")
    assert failed_refunds_reviewed(shop(refunds=failed, events=(*shop().events, flag))) == []
    theirs = (RefundRow("rf_2", ORDER, "pat_1", 500, "failed", "re_2", "provider"),)
    assert failed_refunds_reviewed(shop(refunds=theirs)) == []  # made at the provider's dashboard: theirs to watch


def test_fulfilment_without_a_provider_backed_paid_transition_is_a_violation() -> None:
    unproven = tuple(replace(event, provider_event_id=None) for event in shop().events)
    assert fulfillment_proven(shop(events=unproven)) != []


def test_fulfilling_twice_or_shipping_nothing_is_a_violation() -> None:
    twice = (*shop().events, EventRow(99, ORDER, "transition", "fulfilled", "fulfilled"))
    assert fulfillment_proven(shop(events=twice)) != []
    assert fulfillment_proven(shop(shipments={})) != []


def test_a_state_change_without_its_event_is_a_violation() -> None:
    gap = tuple(event for event in shop().events if event.to_state != "fulfillment_pending")
    assert [v.subject for v in history_complete(shop(events=gap))] == [ORDER]
    assert history_complete(shop(orders=(OrderRow(ORDER, "refunded", PRICE),))) != []


def test_a_job_still_queued_after_draining_is_lost_but_a_dead_one_is_visible() -> None:
    jobs = (JobRow(1, "submit_refund", "queued", "timeout"), JobRow(2, "process_webhook", "dead", "boom"))
    assert [v.subject for v in jobs_settled(shop(jobs=jobs))] == ["job 1"]


def test_a_replay_that_differs_from_the_first_answer_is_a_violation() -> None:
    first = Answer(201, {"order_id": ORDER, "state": "payment_pending"}, replayed=False)
    in_flight = Answer(409, {"error": {"code": "idempotency_key_in_use"}}, replayed=False)
    unavailable = Answer(503, {"error": {"code": "provider_unavailable"}}, replayed=False)
    assert idempotent_replays({"cart:c1 k": [unavailable, first, in_flight, replace(first, replayed=True)]}) == []
    other = Answer(201, {"order_id": "ord_2", "state": "payment_pending"}, replayed=True)
    assert [v.subject for v in idempotent_replays({"cart:c1 k": [first, other]})] == ["cart:c1 k"]
