"""Refunds against a paid PaymentIntent, their settlement, and disputes opened from the control API."""

from __future__ import annotations

import pytest
import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess, wait_for


def paid_intent(client: stripe.StripeClient, amount: int = 1000) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "eur", **CARDS, "payment_method": "pm_card_visa", "confirm": True}
    )


def test_partial_refunds_add_up_and_the_charge_tracks_the_refunded_amount(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(refund_delay_ms=None)
    intent = paid_intent(stripe_client)

    first = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300, "reason": "duplicate"})
    second = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 200})

    assert (first.object, first.status, first.amount, first.reason) == ("refund", "pending", 300, "duplicate")
    assert first.charge == intent.latest_charge and first.payment_intent == intent.id
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (500, False)
    listed = stripe_client.v1.refunds.list(params={"payment_intent": intent.id})
    assert [refund.id for refund in listed.data] == [second.id, first.id]


def test_a_refund_without_amount_refunds_the_remainder_and_then_nothing_is_left(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = paid_intent(stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 400})

    rest = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})

    assert rest.amount == 600
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).refunded is True
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1})
    assert (refused.value.http_status, refused.value.code) == (400, "charge_already_refunded")


def test_refunding_more_than_remains_is_refused_as_amount_too_large(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = paid_intent(stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 700})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 301})

    assert (refused.value.code, refused.value.param) == ("amount_too_large", "amount")
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 700


def test_an_unpaid_intent_cannot_be_refunded(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur", **CARDS})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refused.value.code == "charge_not_refundable"


def test_refunds_succeed_shortly_after_in_the_background(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(refund_delay_ms=50)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": paid_intent(stripe_client).id})

    wait_for(lambda: stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded", what="refund settled")

    updates = stripe_client.v1.events.list(params={"type": "refund.updated"}).data
    assert [event.data.object.status for event in updates] == ["succeeded"]


def test_a_refund_settled_as_failed_gives_the_amount_back_to_the_charge(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(refund_delay_ms=None)
    intent = paid_intent(stripe_client)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 250})

    settled = sim.settle_refund(refund.id, "fail")

    assert (settled["status"], settled["failure_reason"]) == ("failed", "declined")
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0
    assert stripe_client.v1.refunds.create(params={"payment_intent": intent.id}).amount == 1000


def test_background_refund_failures_can_be_switched_on(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(refund_delay_ms=10, refund_outcome="fail")
    refund = stripe_client.v1.refunds.create(params={"payment_intent": paid_intent(stripe_client).id})
    wait_for(lambda: stripe_client.v1.refunds.retrieve(refund.id).status == "failed", what="refund failed")


def test_refund_events_carry_snapshots_of_the_refund_and_the_charge(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = paid_intent(stripe_client)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 100})

    created = stripe_client.v1.events.list(params={"type": "refund.created"}).data[0]
    refunded = stripe_client.v1.events.list(params={"type": "charge.refunded"}).data[0]

    assert (created.data.object.id, created.data.object.status) == (refund.id, "pending")
    assert (refunded.data.object.id, refunded.data.object.amount_refunded) == (intent.latest_charge, 100)
    assert created.request.id is not None


def test_a_dispute_opens_on_the_charge_and_emits_charge_dispute_created(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = paid_intent(stripe_client)

    dispute = sim.open_dispute(intent.id)

    assert dispute["id"].startswith("dp_")
    assert (dispute["charge"], dispute["amount"], dispute["status"]) == (
        intent.latest_charge,
        1000,
        "needs_response",
    )
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).disputed is True
    event = stripe_client.v1.events.list(params={"type": "charge.dispute.created"}).data[0]
    assert event.data.object.id == dispute["id"]
