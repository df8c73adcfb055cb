"""Webhook delivery: Stripe's signature, retries with backoff, duplicates, drops, delay, reordering, pause."""

from __future__ import annotations

import itertools
import random
import time

import stripe
from sim_params import CARDS
from sim_webhook_receiver import WebhookReceiver

from checkout_engine.webhooks.signature import verify_signature
from provider_sim.webhook_plan import WebhookSettings, plan_delivery
from support.provider_sim_process import ProviderSimProcess, wait_for

SECRET = "whsec_test_receiver"  # what the `receiver` fixture configures


def create_intent(client: stripe.StripeClient, **extra: str | bool) -> str:
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur", **CARDS, **extra})
    return str(intent.id)


def test_deliveries_are_signed_so_the_official_verifier_accepts_them(
    receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    intent_id = create_intent(stripe_client)

    delivered = receiver.wait_for(1)[0]

    event = stripe.Webhook.construct_event(delivered.body, delivered.signature, SECRET)
    assert (event.type, event.data.object.id) == ("payment_intent.created", intent_id)
    raw = delivered.body if isinstance(delivered.body, bytes) else delivered.body.encode()
    assert verify_signature(raw, delivered.signature, secrets=["whsec_old", SECRET], tolerance_seconds=300) > 0
    assert delivered.headers["Content-Type"].startswith("application/json")
    assert delivered.signature.startswith("t=")


def first_delivery_held(receiver: WebhookReceiver, stripe_client: stripe.StripeClient, events: int) -> None:
    """``events`` intents created while the endpoint holds its answers; returns once the first delivery arrived."""
    receiver.hold_answers()
    for _ in range(events):
        create_intent(stripe_client)
    receiver.wait_for_arrivals(1)


def test_with_concurrency_several_deliveries_are_in_flight_at_once(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    first_delivery_held(receiver, stripe_client, events=4)
    sim.configure_webhooks(concurrency=4)  # the one in flight, then three more beside it
    assert receiver.wait_for_arrivals(4) == 4
    assert sim.sim("GET", "webhooks")["pending"] == 0
    receiver.release_answers()
    assert len(receiver.wait_for(4)) == 4
    assert {event["type"] for event in receiver.accepted_events()} == {"payment_intent.created"}


def test_one_delivery_at_a_time_is_the_default(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    first_delivery_held(receiver, stripe_client, events=3)
    view = sim.sim("GET", "webhooks")
    assert (view["concurrency"], view["pending"]) == (1, 2)  # the other two wait for the first answer
    receiver.release_answers()
    assert len(receiver.wait_for(3)) == 3


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers_2xx(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    receiver.fail_next(2)
    create_intent(stripe_client)

    attempts = receiver.wait_for(3)

    assert [attempt.answered for attempt in attempts] == [500, 500, 200]
    assert len({attempt.event["id"] for attempt in attempts}) == 1
    gaps = [later.received_at - earlier.received_at for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.02 and gaps[1] >= 0.04  # base 20 ms, doubling
    event_id = attempts[0].event["id"]
    log = wait_for(lambda: len(sim.deliveries(event_id)) == 3 and sim.deliveries(event_id), what="3 log entries")
    assert [(entry["attempt"], entry["status_code"], entry["outcome"]) for entry in log] == [
        (1, 500, "failed"),
        (2, 500, "failed"),
        (3, 200, "delivered"),
    ]
    assert all(entry["at"] > 0 and entry["duration_ms"] >= 0 for entry in log)


def test_an_unreachable_endpoint_keeps_the_event_until_it_can_be_delivered(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_webhooks(url="http://127.0.0.1:9/unreachable")
    create_intent(stripe_client)
    event_id = stripe_client.v1.events.list().data[0].id
    wait_for(lambda: sim.deliveries(event_id), what="a failed attempt")
    assert sim.deliveries(event_id)[0]["error"]

    sim.configure_webhooks(url=receiver.url)
    sim.flush_webhooks()

    assert [event["id"] for event in receiver.accepted_events()] == [event_id]


def test_duplicate_rate_one_delivers_every_event_twice(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_webhooks(duplicate_rate=1.0)
    create_intent(stripe_client)

    received = receiver.wait_for(2)

    assert received[0].event["id"] == received[1].event["id"]
    assert sim.flush_webhooks()["attempted"] == 0
    assert len(receiver.requests()) == 2


def test_drop_rate_one_delivers_nothing_yet_the_events_stay_listed(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_webhooks(drop_rate=1.0)
    create_intent(stripe_client, payment_method="pm_card_visa", confirm=True)

    events = stripe_client.v1.events.list().data
    flushed = sim.flush_webhooks()

    assert [event.type for event in events][::-1] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "charge.updated",
    ]
    assert flushed == {"attempted": 0, "delivered": 0, "failed": 0, "pending": 0}
    assert [entry["outcome"] for entry in sim.deliveries()] == ["dropped"] * 4
    assert receiver.requests() == []


def test_delay_holds_each_delivery_back_for_the_given_time(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_webhooks(delay_ms=300)
    started = time.monotonic()
    create_intent(stripe_client)

    delivered = receiver.wait_for(1)[0]

    assert delivered.received_at - started >= 0.3


def _seed_with_clear_reordering(count: int, window_ms: int, min_gap_ms: float) -> tuple[int, list[int]]:
    """A seed whose holds reorder `count` events with gaps wide enough that request timing cannot matter."""
    settings = WebhookSettings(url="x", secret="x", reorder_window_ms=window_ms)
    for seed in range(1000):
        rng = random.Random(seed)
        holds = [plan_delivery(settings, rng).holds_ms[0] for _ in range(count)]
        order = sorted(range(count), key=holds.__getitem__)
        gaps = [holds[b] - holds[a] for a, b in itertools.pairwise(order)]
        if order != list(range(count)) and min(gaps) >= min_gap_ms:
            return seed, order
    raise AssertionError("no suitable seed")


def test_a_reorder_window_with_a_fixed_seed_delivers_in_the_order_the_seed_decides(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    seed, expected_order = _seed_with_clear_reordering(count=4, window_ms=1000, min_gap_ms=200)
    sim.configure_webhooks(reorder_window_ms=1000, seed=seed)
    created = [create_intent(stripe_client) for _ in range(4)]

    received = receiver.wait_for(4)

    arrived = [created.index(request.event["data"]["object"]["id"]) for request in received]
    assert arrived == expected_order


def test_paused_deliveries_wait_until_flushed_in_creation_order(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_webhooks(paused=True)
    create_intent(stripe_client, payment_method="pm_card_visa", confirm=True)
    create_intent(stripe_client)
    assert sim.sim("GET", "webhooks")["pending"] == 5
    assert stripe_client.v1.events.list().data[0].pending_webhooks == 1

    flushed = sim.flush_webhooks()

    assert flushed == {"attempted": 5, "delivered": 5, "failed": 0, "pending": 0}
    assert [event["type"] for event in receiver.accepted_events()] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "charge.updated",
        "payment_intent.created",
    ]
    assert stripe_client.v1.events.list().data[0].pending_webhooks == 0


def test_unpausing_resumes_background_delivery(
    sim: ProviderSimProcess, receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    sim.configure_webhooks(paused=True)
    create_intent(stripe_client)
    assert sim.sim("GET", "webhooks")["pending"] == 1

    sim.configure_webhooks(paused=False)

    assert receiver.wait_for(1)[0].answered == 200


def test_reset_restores_the_start_up_webhook_settings(sim: ProviderSimProcess) -> None:
    sim.configure_webhooks(url="http://127.0.0.1:9/x", paused=True, drop_rate=0.5)
    sim.reset()
    settings = sim.sim("GET", "webhooks")
    assert (settings["url"], settings["paused"], settings["drop_rate"]) == (None, False, 0.0)
