"""Charges as Stripe keeps them at the pinned version (captures, releases, lapses), the `charge.*` and `*.updated`
events of each flow, and the endpoints an integration uses beside the core ones."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess, wait_for

MANUAL: dict[str, Any] = {
    "amount": 2000,
    "currency": "eur",
    **CARDS,
    "capture_method": "manual",
    "payment_method": "pm_card_visa",
    "confirm": True,
}


def types_for(client: stripe.StripeClient, object_ids: set[str]) -> list[str]:
    """Event types, oldest first, of events about the given objects (or their charge's intent)."""
    events = [event.to_dict() for event in client.v1.events.list(params={"limit": 100}).data[::-1]]
    return [
        event["type"]
        for event in events
        if event["data"]["object"]["id"] in object_ids or event["data"]["object"].get("payment_intent") in object_ids
    ]


def test_a_partial_capture_releases_the_rest_without_counting_it_as_refunded(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = stripe_client.v1.payment_intents.create(params=MANUAL)
    captured = stripe_client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1500})
    charge = stripe_client.v1.charges.retrieve(str(captured.latest_charge))

    assert (captured.amount_received, captured.amount_capturable) == (1500, 0)
    assert (charge.amount, charge.amount_captured, charge.amount_refunded, charge.refunded) == (2000, 1500, 0, False)
    assert charge.billing_details.address.city is None
    assert types_for(stripe_client, {intent.id}) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "payment_intent.succeeded",
        "charge.updated",
    ]
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.amount == 1500


def test_a_canceled_authorisation_is_released_and_its_charge_left_as_it_was(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = stripe_client.v1.payment_intents.create(params=MANUAL)
    canceled = stripe_client.v1.payment_intents.cancel(intent.id)
    charge = stripe_client.v1.charges.retrieve(str(canceled.latest_charge))

    assert (canceled.status, canceled.amount_capturable) == ("canceled", 0)
    assert (charge.captured, charge.amount_captured, charge.amount_refunded, charge.refunded) == (False, 0, 0, False)
    assert "charge.refunded" not in types_for(stripe_client, {intent.id})


def test_a_lapsed_authorisation_sends_charge_expired(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(params=MANUAL)
    sim.sim("POST", "clock", {"advance_seconds": 7 * 24 * 60 * 60 + 1})

    assert stripe_client.v1.payment_intents.retrieve(intent.id).cancellation_reason == "expired"
    assert types_for(stripe_client, {intent.id})[-2:] == ["charge.expired", "payment_intent.canceled"]


def test_a_decline_sends_charge_failed(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(params={"amount": 2000, "currency": "eur", **CARDS})
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    charge = stripe_client.v1.charges.list(params={"payment_intent": intent.id}).data[0]

    assert (charge.status, charge.failure_code, charge.outcome.type) == ("failed", "card_declined", "issuer_declined")
    assert types_for(stripe_client, {intent.id})[-2:] == ["charge.failed", "payment_intent.payment_failed"]


def test_a_failed_refund_sends_its_updates_with_previous_attributes(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "eur", **CARDS, "payment_method": "pm_card_refundFail", "confirm": True}
    )
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    wait_for(lambda: stripe_client.v1.refunds.retrieve(refund.id).status == "failed", what="the refund to fail")

    events = stripe_client.v1.events.list(params={"limit": 100}).data[::-1]
    about_refund = [event for event in events if event.data.object.id == refund.id]
    assert [event.type for event in about_refund] == [
        "refund.created",
        "refund.updated",
        "charge.refund.updated",
        "refund.failed",
    ]
    assert about_refund[1].data.previous_attributes.status == "pending"
    updated_charges = [event for event in events if event.type == "charge.updated"]
    assert updated_charges[-1].data.previous_attributes.amount_refunded == 2000
    assert stripe_client.v1.charges.retrieve(str(intent.latest_charge)).amount_refunded == 0


def test_charges_are_listed_newest_first_and_filtered_by_intent(stripe_client: stripe.StripeClient) -> None:
    first = stripe_client.v1.payment_intents.create(params=MANUAL)
    second = stripe_client.v1.payment_intents.create(params=MANUAL)

    everything = stripe_client.v1.charges.list(params={"limit": 1})
    only_first = stripe_client.v1.charges.list(params={"payment_intent": first.id})

    assert [charge.payment_intent for charge in everything.data] == [second.id] and everything.has_more
    assert [charge.id for charge in only_first.data] == [first.latest_charge]


def test_an_intent_and_a_refund_can_be_updated(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "eur", **CARDS, "metadata": {"order_id": "o1", "note": "x"}}
    )
    updated = stripe_client.v1.payment_intents.update(
        intent.id, params={"metadata": {"note": "", "attempt": "2"}, "description": "order o1", "amount": 2500}
    )
    assert (updated.metadata.to_dict(), updated.description, updated.amount) == (
        {"order_id": "o1", "attempt": "2"},
        "order o1",
        2500,
    )

    paid = stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    refund = stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 500})
    renamed = stripe_client.v1.refunds.update(refund.id, params={"metadata": {"ticket": "T-9"}})
    assert renamed.metadata.to_dict() == {"ticket": "T-9"}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.update(paid.id, params={"amount": 100})
    assert refused.value.code == "payment_intent_unexpected_state"


def test_only_a_refund_awaiting_customer_action_can_be_canceled(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "eur", **CARDS, "payment_method": "pm_card_refundPending", "confirm": True}
    )
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.cancel(refund.id)

    assert refused.value.http_status == 400 and "requires_action" in str(refused.value)
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "pending"


def test_a_dispute_carries_its_evidence_and_deadlines(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "eur", **CARDS, "payment_method": "pm_card_visa", "confirm": True}
    )
    dispute = sim.open_dispute(intent.id)

    assert dispute["evidence"]["customer_name"] is None
    assert dispute["evidence_details"]["due_by"] > dispute["created"]
    assert (dispute["balance_transactions"], dispute["is_charge_refundable"]) == ([], False)
