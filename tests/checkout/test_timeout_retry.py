"""Provider timeouts: the provider creates the intent and the answer is lost, or it fails before doing anything.
Either way the provider ends up holding exactly one intent for the order, found rather than created again."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import payment_attempts
from support.checkout import checkout, intents_for, ready_cart
from support.http import assert_error
from support.provider_sim_process import ProviderSimProcess


def test_an_intent_created_and_then_timed_out_is_found_by_our_reference(
    shop: TestClient, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit", count=1)
    response = checkout(shop, cart_id, "k")
    assert response.status_code == 201, response.text
    body = response.json()
    [intent] = intents_for(sim, body["order_id"])
    assert intent["id"] == body["payment"]["provider_payment_id"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(payment_attempts.c.provider_payment_id)).scalars().all() == [intent["id"]]


def test_a_provider_error_before_anything_happened_is_a_503_and_the_retry_completes_it(
    shop: TestClient, sim: ProviderSimProcess
) -> None:
    cart_id = ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "error_500", count=1)
    assert_error(checkout(shop, cart_id, "k"), 503, "provider_unavailable")
    retried = checkout(shop, cart_id, "k")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert len(intents_for(sim, retried.json()["order_id"])) == 1
    assert checkout(shop, cart_id, "k").headers["Idempotent-Replayed"] == "true"


def test_a_retry_after_a_lost_answer_and_a_down_provider_still_makes_one_intent(
    shop: TestClient, sim: ProviderSimProcess
) -> None:
    cart_id = ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit", count=1)
    sim.add_fault("GET", "/v1/payment_intents", "error_500", count=1)  # and the look-up fails too
    assert_error(checkout(shop, cart_id, "k"), 503, "provider_unavailable")
    retried = checkout(shop, cart_id, "k")  # same provider key: the provider replays the intent it made
    assert retried.status_code == 201, retried.text
    assert len(intents_for(sim, retried.json()["order_id"])) == 1
