"""Webhook out of order (playbook test 4): the provider's news arrives in an order other than the one in which things
happened — a success after a decline, a stale failure after the success, a refund before our own paid transition,
a capture's confirmation after we already captured. Deliveries the test orders by hand are signed as the provider
signs them; everything else is dropped at the provider.

What must hold: every event is judged against the order's current state and the provider's current word, not
against its arrival: the order ends where the money says (paid, refunded), a stale event is recorded as ignored
with its reason and moves nothing, an event that comes too early is held until it can apply, and the money is
taken (and given back) exactly once."""

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
import stripe
from promises import (
    HAPPY_PATH,
    assert_charged_once,
    deliver,
    event_outcome,
    moves,
    order_state,
    pay,
    provider_events,
    reaches,
    refunded_amounts,
    stock,
    transitions,
)
from sqlalchemy import Engine

from checkout_engine.db.tables import refunds
from support.processes import ApiProcess, eventually
from support.provider_sim_process import ProviderSimProcess

Place = Callable[..., dict[str, Any]]


def the_event(sim: ProviderSimProcess, payment_id: str, kind: str) -> dict[str, Any]:
    return next(event for event in provider_events(sim, payment_id) if event["type"] == kind)


def processed(engine: Engine, event: dict[str, Any]) -> tuple[str, str | None]:
    return eventually(lambda: event_outcome(engine, event["id"]), what=f"{event['type']} to be processed")


def test_a_success_after_a_decline_still_marks_the_order_paid(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    order = place()
    with pytest.raises(stripe.CardError):
        pay(sim, order, "pm_card_chargeDeclined")
    reaches(engine, order["order_id"], "payment_failed")
    assert stock(engine, "SHIRT") == (10, 0)  # a failed payment gives its stock back
    pay(sim, order)  # the customer tries another card on the same intent
    reaches(engine, order["order_id"], "fulfilled")
    assert moves(engine, order["order_id"]) == [
        (None, "draft"),
        ("draft", "payment_pending"),
        ("payment_pending", "payment_failed"),
        ("payment_failed", "paid"),
        ("paid", "fulfillment_pending"),
        ("fulfillment_pending", "fulfilled"),
    ]
    assert stock(engine, "SHIRT") == (8, 0)  # held again when the money came, then shipped
    assert_charged_once(sim, order["order_id"], order["total"])


def test_a_failure_that_arrives_after_the_success_changes_nothing(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    sim.configure_webhooks(drop_rate=1.0)  # we deliver by hand, in the order we choose
    order = place()
    with pytest.raises(stripe.CardError):
        pay(sim, order, "pm_card_chargeDeclined")
    intent = pay(sim, order)
    succeeded = the_event(sim, intent["id"], "payment_intent.succeeded")
    failed = the_event(sim, intent["id"], "payment_intent.payment_failed")
    assert failed["created"] <= succeeded["created"]

    assert deliver(api.url, succeeded).status_code == 200
    reaches(engine, order["order_id"], "fulfilled")
    assert deliver(api.url, failed).status_code == 200  # the older news, last
    assert processed(engine, failed) == ("ignored", "already fulfilled")  # judged on the order as it is now
    assert moves(engine, order["order_id"]) == HAPPY_PATH
    assert order_state(engine, order["order_id"]) == "fulfilled"
    assert_charged_once(sim, order["order_id"], order["total"])


def test_a_refund_event_before_our_paid_transition_is_held_then_applied(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    sim.configure_webhooks(drop_rate=1.0)
    order = place()
    intent = pay(sim, order)
    provider = sim.stripe_client()
    refund = provider.v1.refunds.create(params={"payment_intent": intent["id"]})  # made at the provider directly
    eventually(lambda: provider.v1.refunds.retrieve(refund.id).status == "succeeded", what="the refund to settle")
    events = provider_events(sim, intent["id"])
    refund_news = [event for event in events if event["type"].startswith(("charge.refunded", "refund."))]
    assert refund_news

    for event in refund_news:  # the refund news first...
        assert deliver(api.url, event).status_code == 200
    for event in refund_news:
        assert processed(engine, event) == ("held", "order is payment_pending")
    assert order_state(engine, order["order_id"]) == "payment_pending"

    assert deliver(api.url, the_event(sim, intent["id"], "payment_intent.succeeded")).status_code == 200  # ...then
    reaches(engine, order["order_id"], "refunded")
    assert ("paid", "refunded") in moves(engine, order["order_id"])
    with engine.connect() as conn:
        assert conn.execute(sa.select(refunds.c.status, refunds.c.requested_by)).all() == [("succeeded", "provider")]
    assert_charged_once(sim, order["order_id"], order["total"])
    assert refunded_amounts(sim, intent["id"]) == [order["total"]]


@pytest.mark.parametrize("scenario_settings", [{"CHECKOUT_CAPTURE_METHOD": "manual"}], ids=["manual-capture"])
def test_a_delayed_capture_confirmation_changes_nothing(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    sim.configure_webhooks(drop_rate=1.0)
    order = place()
    intent = pay(sim, order)
    assert intent["status"] == "requires_capture"
    assert deliver(api.url, the_event(sim, intent["id"], "payment_intent.amount_capturable_updated")).status_code == 200

    reaches(engine, order["order_id"], "fulfilled")  # authorized, captured by a worker, paid, shipped
    assert ("payment_pending", "payment_authorized") in moves(engine, order["order_id"])
    before = transitions(engine, order["order_id"])
    succeeded = the_event(sim, intent["id"], "payment_intent.succeeded")  # the capture's own confirmation, late
    assert deliver(api.url, succeeded).status_code == 200
    assert processed(engine, succeeded)[0] == "ignored"
    assert transitions(engine, order["order_id"]) == before
    assert_charged_once(sim, order["order_id"], order["total"])
