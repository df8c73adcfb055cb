"""The simulated clock: `/_sim/clock` moves it forward, and keys, authorisations and timestamps follow it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess, SimControlError

HOUR = 60 * 60
DAY = 24 * HOUR
PARAMS: dict[str, Any] = {"amount": 1000, "currency": "eur", **CARDS, "metadata": {"order_id": "ord_clock"}}


def advance(sim: ProviderSimProcess, seconds: int) -> dict[str, Any]:
    answer: dict[str, Any] = sim.sim("POST", "clock", {"advance_seconds": seconds})
    return answer


def simulated_now(sim: ProviderSimProcess) -> int:
    now: int = sim.sim("GET", "clock")["now"]
    return now


def test_the_clock_starts_at_real_time_and_advancing_adds_to_its_offset(sim: ProviderSimProcess) -> None:
    start = sim.sim("GET", "clock")
    assert start["offset_seconds"] == 0
    assert start["now"] == pytest.approx(time.time(), abs=5)

    advance(sim, HOUR)
    moved = advance(sim, 30)

    assert moved["offset_seconds"] == HOUR + 30
    assert moved["now"] == pytest.approx(time.time() + HOUR + 30, abs=5)
    assert sim.sim("GET", "clock")["offset_seconds"] == HOUR + 30


def test_reset_sets_the_offset_back_to_zero(sim: ProviderSimProcess) -> None:
    advance(sim, 3 * DAY)

    sim.reset()

    clock = sim.sim("GET", "clock")
    assert clock["offset_seconds"] == 0
    assert clock["now"] == pytest.approx(time.time(), abs=5)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance_seconds": -1},
        {"advance_seconds": 1.5},
        {"advance_seconds": "60"},
        {"advance_seconds": True},
        {"advance_seconds": 60, "other": 1},
    ],
)
def test_advance_seconds_must_be_a_non_negative_integer(sim: ProviderSimProcess, body: dict[str, Any]) -> None:
    with pytest.raises(SimControlError) as refused:
        sim.sim("POST", "clock", body)

    assert refused.value.status == 400
    assert json.loads(refused.value.body)["error"]["type"] == "invalid_request_error"
    assert sim.sim("GET", "clock")["offset_seconds"] == 0


def test_an_idempotency_key_older_than_24_hours_is_forgotten_so_it_creates_a_new_object(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    first = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "day-old"})

    moved = advance(sim, DAY + 1)
    again = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "day-old"})

    assert moved["happened"]["idempotency_keys_forgotten"] == 1
    assert again.id != first.id
    assert again.last_response.headers.get("Idempotent-Replayed") is None


def test_an_idempotency_key_23_hours_old_still_replays(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    first = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "hours-old"})

    moved = advance(sim, 23 * HOUR)
    again = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "hours-old"})

    assert moved["happened"]["idempotency_keys_forgotten"] == 0
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"


def test_an_uncaptured_authorisation_lapses_seven_days_after_it_was_made(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**PARAMS, "capture_method": "manual", "payment_method": "pm_card_visa", "confirm": True}
    )
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert charge.payment_method_details.card.capture_before == charge.created + 7 * DAY

    advance(sim, 6 * DAY)
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"
    moved = advance(sim, DAY)

    lapsed = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert moved["happened"]["authorizations_lapsed"] == 1
    assert (lapsed.status, lapsed.cancellation_reason, lapsed.amount_capturable) == ("canceled", "expired", 0)
    assert lapsed.canceled_at == pytest.approx(moved["now"], abs=1)
    (event,) = stripe_client.v1.events.list(params={"type": "payment_intent.canceled"}).data
    assert (event.data.object.id, event.data.object.cancellation_reason) == (intent.id, "expired")
    assert event.created == pytest.approx(moved["now"], abs=1)


def test_a_captured_authorisation_does_not_lapse(sim: ProviderSimProcess, stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={**PARAMS, "capture_method": "manual", "payment_method": "pm_card_visa", "confirm": True}
    )
    stripe_client.v1.payment_intents.capture(intent.id)

    moved = advance(sim, 8 * DAY)

    assert moved["happened"]["authorizations_lapsed"] == 0
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert stripe_client.v1.events.list(params={"type": "payment_intent.canceled"}).data == []


def test_a_processing_payment_due_by_the_new_time_settles_when_the_clock_moves(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(payment_delay_ms=10 * 60 * 1000)
    intent = stripe_client.v1.payment_intents.create(
        params={**PARAMS, "payment_method": "pm_delayed_succeeds", "confirm": True}
    )

    early = advance(sim, 60)
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "processing"
    due = advance(sim, 10 * 60)

    assert (early["happened"]["payments_settled"], due["happened"]["payments_settled"]) == (0, 1)
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_objects_and_event_timestamps_follow_the_simulated_clock(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    before = stripe_client.v1.payment_intents.create(params=PARAMS)

    moved = advance(sim, 10 * DAY)
    after = stripe_client.v1.payment_intents.create(params=PARAMS)

    assert after.created - before.created >= 10 * DAY
    assert after.created == pytest.approx(moved["now"], abs=2)
    newest, oldest = stripe_client.v1.events.list(params={"type": "payment_intent.created"}).data
    assert (newest.data.object.id, oldest.data.object.id) == (after.id, before.id)
    assert (newest.created, oldest.created) == (after.created, before.created)
    window = stripe_client.v1.payment_intents.list(params={"created": {"gte": simulated_now(sim) - HOUR}})
    assert [found.id for found in window.data] == [after.id]
