"""`pm_card_refundPending` and `pm_card_refundFail`: refunds that wait days, or fail, as the contract names them."""

from __future__ import annotations

from typing import Any

import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess, wait_for

DAY = 24 * 60 * 60


def refund_on(client: stripe.StripeClient, payment_method: str) -> stripe.Refund:
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", **CARDS, "payment_method": payment_method, "confirm": True}
    )
    assert intent.status == "succeeded"
    return client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 400})


def advance(sim: ProviderSimProcess, seconds: int) -> dict[str, Any]:
    answer: dict[str, Any] = sim.sim("POST", "clock", {"advance_seconds": seconds})
    return answer


def refund_events(client: stripe.StripeClient, event_type: str) -> list[tuple[str, str]]:
    events = client.v1.events.list(params={"type": event_type}).data
    return [(event.data.object.id, event.data.object.status) for event in events]


def test_a_refund_pending_refund_is_still_pending_after_two_days_and_succeeded_after_three(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    refund = refund_on(stripe_client, "pm_card_refundPending")
    assert refund.status == "pending"

    advance(sim, 2 * DAY)
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "pending"
    assert refund_events(stripe_client, "refund.updated") == []
    moved = advance(sim, DAY)

    assert moved["happened"]["refunds_settled"] == 1
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    assert refund_events(stripe_client, "refund.updated") == [(refund.id, "succeeded")]


def test_a_refund_pending_refund_settles_at_once_through_the_control_api(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    refund = refund_on(stripe_client, "pm_card_refundPending")

    settled = sim.sim("POST", f"refunds/{refund.id}/settle")

    assert settled["status"] == "succeeded"
    assert advance(sim, 3 * DAY)["happened"]["refunds_settled"] == 0
    assert refund_events(stripe_client, "refund.updated") == [(refund.id, "succeeded")]


def test_a_refund_fail_refund_goes_pending_then_failed_with_refund_failed(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    refund = refund_on(stripe_client, "pm_card_refundFail")
    assert refund.status == "pending"

    failed = wait_for(
        lambda: (found := stripe_client.v1.refunds.retrieve(refund.id)).status == "failed" and found,
        what="the refund to fail",
    )

    assert failed.failure_reason == "declined"
    assert refund_events(stripe_client, "refund.failed") == [(refund.id, "failed")]
    assert refund_events(stripe_client, "refund.updated") == [(refund.id, "failed")]
    assert stripe_client.v1.charges.retrieve(refund.charge).amount_refunded == 0


def test_a_refund_fail_refund_fails_once_the_clock_passes_its_settlement(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(refund_delay_ms=60 * 60 * 1000)
    refund = refund_on(stripe_client, "pm_card_refundFail")

    moved = advance(sim, 60 * 60)

    assert moved["happened"]["refunds_settled"] == 1
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "failed"


def test_settling_a_refund_fail_refund_by_hand_without_an_outcome_fails_it(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(refund_delay_ms=None)
    refund = refund_on(stripe_client, "pm_card_refundFail")

    assert sim.sim("POST", f"refunds/{refund.id}/settle")["status"] == "failed"


def test_other_cards_refunds_still_settle_by_themselves_shortly_after(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_settlement(refund_delay_ms=50)
    refund = refund_on(stripe_client, "pm_card_visa")

    wait_for(lambda: stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded", what="refund settled")
    assert refund_events(stripe_client, "refund.failed") == []
