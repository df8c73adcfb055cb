"""An order that keeps its money was delivered; refunds are ours one to one; no provider event is dropped."""

from __future__ import annotations

from checkout_engine.invariants import check_all
from checkout_engine.invariants.history import kept_orders_fulfilled
from checkout_engine.invariants.refunds import refunds_one_to_one, refunds_within_their_lines
from checkout_engine.invariants.work import webhook_events_settled, webhook_jobs_repaired
from checkout_engine.invariants.world import (
    JobRow,
    LineRow,
    OrderRow,
    ProviderRefund,
    RefundRow,
    WebhookRow,
)
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.books import ORDER, PRICE, history, shop

PAID_NOT_SHIPPED = history(ORDER, "draft", "payment_pending", "paid")


def partly_refunded(*, shipped: bool) -> dict[str, object]:
    """The shop's order partly refunded, before it was delivered (or after, when ``shipped``)."""
    road = ("paid", "fulfillment_pending", "fulfilled") if shipped else ("paid",)
    return {
        "orders": (OrderRow(ORDER, "partially_refunded", PRICE),),
        "events": history(ORDER, "draft", "payment_pending", *road, "partially_refunded"),
        "refunds": (RefundRow("rf_1", ORDER, "pat_1", 500, "succeeded", "re_1"),),
        "provider_refunds": (ProviderRefund("re_1", "pi_1", 500, "succeeded", "rf_1"),),
        "shipments": {ORDER: 1} if shipped else {},
    }


def test_a_paid_order_never_delivered_is_a_violation_unless_a_person_holds_it() -> None:
    never = shop(orders=(OrderRow(ORDER, "paid", PRICE),), events=PAID_NOT_SHIPPED, shipments={})
    assert [(v.subject, v.detail) for v in kept_orders_fulfilled(never)] == [
        (ORDER, "paid, (shipments, grants) (0, 0), expected (1, 0)")
    ]
    held = shop(orders=(OrderRow(ORDER, "paid", PRICE, needs_review=True),), events=PAID_NOT_SHIPPED, shipments={})
    assert kept_orders_fulfilled(held) == []


def test_a_partial_refund_does_not_cancel_delivery() -> None:
    """Incident 0004: refunded in part before it shipped, the order is still delivered."""
    assert [v.subject for v in kept_orders_fulfilled(shop(**partly_refunded(shipped=False)))] == [ORDER]
    assert check_all(shop(**partly_refunded(shipped=True))) == []


def test_every_digital_line_needs_its_grant() -> None:
    lines = (*shop().lines, LineRow(ORDER, "EBOOK", 1, "digital"), LineRow(ORDER, "SONG", 1, "digital"))
    assert [v.subject for v in kept_orders_fulfilled(shop(lines=lines, entitlements={ORDER: 1}))] == [ORDER]
    assert kept_orders_fulfilled(shop(lines=lines, entitlements={ORDER: 2})) == []


def test_a_provider_refund_that_is_none_of_ours_or_a_second_for_one_of_ours_is_a_violation() -> None:
    ours = (RefundRow("rf_1", ORDER, "pat_1", 500, "succeeded", "re_1"),)
    twice = (
        ProviderRefund("re_1", "pi_1", 500, "succeeded", "rf_1"),
        ProviderRefund("re_2", "pi_1", 500, "succeeded", "rf_1"),
    )
    assert [(v.subject, v.detail) for v in refunds_one_to_one(shop(refunds=ours, provider_refunds=twice))] == [
        ("rf_1", "2 refunds at the provider")
    ]
    stranger = (ProviderRefund("re_9", "pi_1", 100, "succeeded", None),)
    assert [v.subject for v in refunds_one_to_one(shop(provider_refunds=stranger))] == ["re_9"]
    assert refunds_one_to_one(shop(refunds=ours, provider_refunds=twice[:1])) == []


def dead_webhook_job(event_status: str) -> dict[str, object]:
    return {
        "jobs": (JobRow(7, PROCESS_WEBHOOK, "dead", "provider timeout", {"webhook_event_id": 3}),),
        "webhook_events": (WebhookRow(3, "evt_3", "payment_intent.succeeded", event_status, ORDER),),
    }


def test_a_webhook_job_that_gave_up_on_an_event_never_repaired_is_a_violation() -> None:
    assert [(v.subject, v.detail) for v in webhook_jobs_repaired(shop(**dead_webhook_job("failed")))] == [
        ("job 7", "dead (provider timeout), its event is failed")
    ]
    assert check_all(shop(**dead_webhook_job("processed"))) == []
    assert webhook_jobs_repaired(shop(**dead_webhook_job("ignored"))) == []


def test_an_event_left_unprocessed_is_a_violation_unless_it_waits_for_an_unpaid_order() -> None:
    waiting = WebhookRow(4, "evt_4", "charge.refunded", "held", "ord_unpaid")
    assert webhook_events_settled(shop(webhook_events=(waiting,))) == []
    stuck = WebhookRow(5, "evt_5", "charge.refunded", "held", ORDER)
    received = WebhookRow(6, "evt_6", "payment_intent.succeeded", "received", ORDER)
    assert [v.subject for v in webhook_events_settled(shop(webhook_events=(stuck, received)))] == ["evt_5", "evt_6"]


def test_refunds_by_line_never_give_back_more_than_was_bought_nor_the_shipping_twice() -> None:
    def refund(
        refund_id: str,
        *,
        lines: tuple[tuple[str, int], ...],
        shipping: bool = False,
        status: str = "succeeded",
        approval_id: str | None = None,
    ) -> RefundRow:
        return RefundRow(
            refund_id, ORDER, "pat_1", 100, status, None, lines=lines, shipping=shipping, approval_id=approval_id
        )

    within = (refund("rf_1", lines=(("LAMP", 1),), shipping=True),)
    assert refunds_within_their_lines(shop(refunds=within)) == []
    beyond = (*within, refund("rf_2", lines=(("LAMP", 1),), shipping=True))
    assert [v.detail for v in refunds_within_their_lines(shop(refunds=beyond))] == [
        "2 LAMP refunded by line, 1 bought",
        "shipping refunded 2 times",
    ]
    refused_again = (*within, refund("rf_2", lines=(("LAMP", 1),), shipping=True, status="failed"))
    assert refunds_within_their_lines(shop(refunds=refused_again)) == []  # gave nothing back
    twice = (refund("rf_1", lines=(), approval_id="apr_1"), refund("rf_2", lines=(), approval_id="apr_1"))
    assert [v.subject for v in refunds_within_their_lines(shop(refunds=twice))] == ["apr_1"]
