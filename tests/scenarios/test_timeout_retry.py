"""Timeout retry (playbook test 2): the API process's call to create the payment intent times out after the provider
made it (the answer is lost), or fails before the provider did anything, or both happen and the look-up fails too.

What must hold: the engine never creates a second intent blindly. It looks the intent up by our own reference
before retrying, a failure that may pass is a 503 `provider_unavailable` the customer can retry with the same
Idempotency-Key, and whatever happened the provider holds exactly one intent for the order — so paying it takes the
money exactly once."""

import httpx
import pytest
import sqlalchemy as sa
from promises import a_ready_cart, assert_charged_once, check_out, pay, reaches
from sqlalchemy import Engine

from checkout_engine.db.tables import payment_attempts
from support.checkout import intents_for
from support.http import assert_error
from support.processes import ApiProcess
from support.provider_sim_process import ProviderSimProcess


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    """The API gives up on the provider after 3 s (a lost answer is waited out that long)."""
    return {"CHECKOUT_PROVIDER_TIMEOUT_SECONDS": "3"}


def test_an_intent_created_and_then_timed_out_is_found_by_our_reference_and_charged_once(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = a_ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit", count=1)
    response = check_out(shop, cart_id, "k")  # waits out the API's provider timeout
    assert response.status_code == 201, response.text
    order = response.json()
    [intent] = intents_for(sim, order["order_id"])
    assert intent["id"] == order["payment"]["provider_payment_id"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(payment_attempts.c.provider_payment_id)).scalars().all() == [intent["id"]]
    pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")
    assert_charged_once(sim, order["order_id"], order["total"])


def test_a_provider_error_before_anything_happened_is_a_503_and_the_retry_completes_it(
    shop: httpx.Client, api: ApiProcess, sim: ProviderSimProcess
) -> None:
    cart_id = a_ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "error_500", count=1)
    assert_error(check_out(shop, cart_id, "k"), 503, "provider_unavailable")
    assert sim.stripe_client().v1.payment_intents.list().data == []
    retried = check_out(shop, cart_id, "k")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert len(intents_for(sim, retried.json()["order_id"])) == 1
    assert check_out(shop, cart_id, "k").headers["Idempotent-Replayed"] == "true"


def test_a_retry_after_a_lost_answer_and_a_failed_look_up_still_makes_one_intent(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = a_ready_cart(shop)
    sim.configure_webhooks(paused=True)  # no worker asks the provider meanwhile: the API's look-up meets the fault
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit", count=1)
    sim.add_fault("GET", "/v1/payment_intents", "error_500", count=1)  # and the look-up fails too
    assert_error(check_out(shop, cart_id, "k"), 503, "provider_unavailable")
    assert sim.sim("GET", "faults")["data"] == []  # both faults were met
    sim.configure_webhooks(paused=False)
    retried = check_out(shop, cart_id, "k")  # same provider key: the intent is replayed
    assert retried.status_code == 201, retried.text
    order = retried.json()
    [intent] = intents_for(sim, order["order_id"])
    assert intent["id"] == order["payment"]["provider_payment_id"]
    pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")
    assert_charged_once(sim, order["order_id"], order["total"])
