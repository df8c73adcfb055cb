"""PaymentIntents through the official `stripe` library, one status path at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess, wait_for

EUR_10: dict[str, Any] = {"amount": 1000, "currency": "eur", **CARDS, "metadata": {"order_id": "ord_1"}}


def event_types_for(client: stripe.StripeClient, object_id: str) -> list[str]:
    events = client.v1.events.list(params={"limit": 100}).data
    return [event.type for event in reversed(events) if event.data.object.id == object_id]


def test_a_visa_payment_succeeds_on_confirm_and_records_a_charge(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(params=EUR_10)
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert intent.livemode is False and intent.object == "payment_intent"

    confirmed = stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})

    assert (confirmed.status, confirmed.amount_received, confirmed.amount_capturable) == (
        "succeeded",
        1000,
        0,
    )
    assert confirmed.latest_charge.startswith("ch_")
    charge = stripe_client.v1.charges.retrieve(confirmed.latest_charge)
    assert (charge.status, charge.captured, charge.amount_captured) == ("succeeded", True, 1000)
    assert event_types_for(stripe_client, intent.id) == ["payment_intent.created", "payment_intent.succeeded"]


def test_create_with_confirm_succeeds_in_one_call_and_can_expand_the_charge(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**EUR_10, "payment_method": "pm_card_visa", "confirm": True, "expand": ["latest_charge"]}
    )
    assert intent.status == "succeeded"
    assert intent.latest_charge.object == "charge"
    assert intent.latest_charge.payment_intent == intent.id
    assert intent.metadata.to_dict() == {"order_id": "ord_1"}


def test_a_declined_card_leaves_the_intent_requiring_a_payment_method(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = stripe_client.v1.payment_intents.create(params=EUR_10)

    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})

    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    assert declined.value.error.decline_code == "generic_decline"
    assert declined.value.error.payment_intent.id == intent.id
    after = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.type == "card_error"
    assert after.last_payment_error.code == "card_declined"
    assert after.last_payment_error.decline_code == "generic_decline"
    assert after.last_payment_error.message
    assert after.payment_method is None
    assert stripe_client.v1.charges.retrieve(after.latest_charge).status == "failed"
    assert event_types_for(stripe_client, intent.id)[-1] == "payment_intent.payment_failed"


def test_a_declined_intent_can_be_paid_with_another_card(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(params=EUR_10)
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    retried = stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded"
    assert retried.last_payment_error is None


@pytest.mark.parametrize(("outcome", "status"), [("succeed", "succeeded"), ("fail", "requires_payment_method")])
def test_an_authentication_required_card_waits_for_the_customer_then_follows_the_outcome(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient, outcome: str, status: str
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**EUR_10, "payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"

    sim.authenticate(intent.id, outcome)

    after = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert after.status == status
    expected_event = "payment_intent.succeeded" if outcome == "succeed" else "payment_intent.payment_failed"
    assert event_types_for(stripe_client, intent.id)[-2:] == [
        "payment_intent.requires_action",
        expected_event,
    ]
    if outcome == "fail":
        assert after.last_payment_error.code == "payment_intent_authentication_failure"


@pytest.fixture
def manual_settlement(sim: ProviderSimProcess) -> Iterator[None]:
    sim.configure_settlement(payment_delay_ms=None)
    yield


@pytest.mark.usefixtures("manual_settlement")
@pytest.mark.parametrize(
    ("method", "outcome", "status"),
    [
        ("pm_delayed_succeeds", None, "succeeded"),
        ("pm_delayed_fails", None, "requires_payment_method"),
        ("pm_delayed_succeeds", "fail", "requires_payment_method"),
    ],
)
def test_a_delayed_payment_stays_processing_until_settled(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient, method: str, outcome: str | None, status: str
) -> None:
    intent = stripe_client.v1.payment_intents.create(params={**EUR_10, "payment_method": method, "confirm": True})
    assert intent.status == "processing"
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "processing"

    settled = sim.settle(intent.id, outcome)

    assert settled["status"] == status
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == status


@pytest.mark.parametrize(
    ("method", "status"),
    [("pm_delayed_succeeds", "succeeded"), ("pm_delayed_fails", "requires_payment_method")],
)
def test_a_delayed_payment_settles_by_itself_once_the_delay_has_passed(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient, method: str, status: str
) -> None:
    sim.configure_settlement(payment_delay_ms=150)
    intent = stripe_client.v1.payment_intents.create(params={**EUR_10, "payment_method": method, "confirm": True})
    assert intent.status == "processing"

    wait_for(
        lambda: stripe_client.v1.payment_intents.retrieve(intent.id).status == status,
        what=f"{intent.id} {status}",
    )
    assert event_types_for(stripe_client, intent.id)[1] == "payment_intent.processing"


def test_manual_capture_holds_the_amount_until_captured_in_full(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**EUR_10, "capture_method": "manual", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert (intent.status, intent.amount_capturable, intent.amount_received) == ("requires_capture", 1000, 0)

    captured = stripe_client.v1.payment_intents.capture(intent.id)

    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 1000, 0)
    assert event_types_for(stripe_client, intent.id)[1:] == [
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
    ]


def test_a_partial_capture_receives_only_the_amount_to_capture(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**EUR_10, "capture_method": "manual", "payment_method": "pm_card_visa", "confirm": True}
    )
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1001})
    assert too_much.value.param == "amount_to_capture"

    captured = stripe_client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 600})

    assert (captured.status, captured.amount_received, captured.amount) == ("succeeded", 600, 1000)
    assert stripe_client.v1.charges.retrieve(captured.latest_charge).amount_captured == 600


def test_cancel_records_the_reason_and_releases_a_hold(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**EUR_10, "capture_method": "manual", "payment_method": "pm_card_visa", "confirm": True}
    )
    canceled = stripe_client.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason, canceled.amount_capturable) == (
        "canceled",
        "abandoned",
        0,
    )
    assert canceled.canceled_at >= intent.created
    assert event_types_for(stripe_client, intent.id)[-1] == "payment_intent.canceled"


def test_a_succeeded_intent_can_be_neither_confirmed_nor_canceled(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**EUR_10, "payment_method": "pm_card_visa", "confirm": True}
    )
    for call in (
        lambda: stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"}),
        lambda: stripe_client.v1.payment_intents.cancel(intent.id),
        lambda: stripe_client.v1.payment_intents.capture(intent.id),
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            call()
        assert (refused.value.http_status, refused.value.code) == (400, "payment_intent_unexpected_state")


def test_bad_parameters_are_refused_with_the_parameter_named(stripe_client: stripe.StripeClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"currency": "eur"}, "amount"),
        ({"amount": 0, "currency": "eur", **CARDS}, "amount"),
        ({"amount": 100, "currency": "euro"}, "currency"),
        ({"amount": 100, "currency": "eur", **CARDS, "capture_method": "later"}, "capture_method"),
        ({"amount": 100, "currency": "eur", **CARDS, "payment_method": "pm_card_unknown"}, "payment_method"),
        ({"amount": 100, "currency": "eur", **CARDS, "surprise": "x"}, "surprise"),
        ({"amount": 100, "currency": "eur", **CARDS, "confirm": True, "expand": ["customer"]}, "expand"),
    ]
    for params, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe_client.v1.payment_intents.create(params=params)
        assert refused.value.param == param, params
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.payment_intents.retrieve("pi_does_not_exist")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert stripe_client.v1.payment_intents.list().data == []


def test_the_module_level_stripe_api_works_when_pointed_at_the_simulator(sim: ProviderSimProcess) -> None:
    saved = (stripe.api_base, stripe.api_key, stripe.max_network_retries)
    stripe.api_base, stripe.api_key, stripe.max_network_retries = sim.url, "sk_test_module", 0
    try:
        intent = stripe.PaymentIntent.create(amount=500, currency="usd", metadata={"order_id": "o"}, **CARDS)
        confirmed = stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
        assert confirmed.status == "succeeded"
        assert stripe.PaymentIntent.retrieve(intent.id).amount_received == 500
    finally:
        stripe.api_base, stripe.api_key, stripe.max_network_retries = saved


def test_altering_the_record_changes_amounts_without_an_event(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**EUR_10, "payment_method": "pm_card_visa", "confirm": True}
    )
    events_before = event_types_for(stripe_client, intent.id)

    sim.alter_payment_intent(intent.id, amount=900, currency="USD")

    after = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert (after.amount, after.amount_received, after.currency) == (900, 900, "usd")
    assert event_types_for(stripe_client, intent.id) == events_before
