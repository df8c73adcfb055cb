"""Injected faults: 500s before anything happens, timeouts after the work is done, added latency."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import stripe
from sim_params import CARDS, CARDS_FORM

from support.provider_sim_process import ProviderSimProcess, SimControlError

PARAMS: dict[str, Any] = {"amount": 1000, "currency": "eur", **CARDS, "metadata": {"order_id": "ord_fault"}}


def test_error_500_fails_the_call_and_nothing_is_created(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.add_fault("POST", "/v1/payment_intents", "error_500")

    with pytest.raises(stripe.APIError) as failed:
        stripe_client.v1.payment_intents.create(params=PARAMS)

    assert failed.value.http_status == 500
    assert failed.value.error.type == "api_error"
    assert stripe_client.v1.payment_intents.list().data == []
    assert stripe_client.v1.events.list().data == []
    assert stripe_client.v1.payment_intents.create(params=PARAMS).status == "requires_payment_method"


def test_a_fault_only_hits_calls_matching_its_method_and_path_prefix(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.add_fault("POST", "/v1/refunds", "error_500", count=2)
    intent = stripe_client.v1.payment_intents.create(params=PARAMS)
    assert stripe_client.v1.payment_intents.retrieve(intent.id).id == intent.id
    assert len(sim.sim("GET", "faults")["data"]) == 1

    sim.clear_faults()

    assert sim.sim("GET", "faults")["data"] == []


def test_the_librarys_retry_with_the_same_key_gets_through_a_single_500(sim: ProviderSimProcess) -> None:
    sim.add_fault("POST", "/v1/payment_intents", "error_500", count=1)
    client = sim.stripe_client(max_network_retries=2)
    intent = client.v1.payment_intents.create(params=PARAMS)
    assert [p.id for p in client.v1.payment_intents.list().data] == [intent.id]


def test_timeout_after_commit_creates_the_intent_but_the_client_never_hears(sim: ProviderSimProcess) -> None:
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit")
    impatient = sim.stripe_client(http_client=stripe.RequestsClient(timeout=1))

    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.create(params=PARAMS)

    assert time.monotonic() - started < 5
    client = sim.stripe_client()
    found = [p for p in client.v1.payment_intents.list().data if p.metadata.to_dict().get("order_id") == "ord_fault"]
    assert len(found) == 1
    assert client.v1.events.list().data[0].type == "payment_intent.created"


def test_a_held_connection_does_not_block_other_requests(sim: ProviderSimProcess) -> None:
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit")
    headers = {"Authorization": "Bearer sk_test_x"}
    with (
        httpx.Client(trust_env=False, headers=headers) as held,
        httpx.Client(trust_env=False, headers=headers) as other,
    ):
        with pytest.raises(httpx.ReadTimeout):
            held.post(
                f"{sim.url}/v1/payment_intents", data={"amount": "1000", "currency": "eur", **CARDS_FORM}, timeout=0.5
            )
        started = time.monotonic()
        listed = other.get(f"{sim.url}/v1/payment_intents", timeout=5)
        assert listed.status_code == 200 and len(listed.json()["data"]) == 1
        assert time.monotonic() - started < 1


def test_a_retry_after_a_timeout_with_the_same_key_returns_the_committed_intent(
    sim: ProviderSimProcess,
) -> None:
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit")
    impatient = sim.stripe_client(http_client=stripe.RequestsClient(timeout=1))
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "after-timeout"})

    patient = sim.stripe_client()
    retried = patient.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "after-timeout"})

    assert retried.last_response.headers.get("Idempotent-Replayed") == "true"
    assert [p.id for p in patient.v1.payment_intents.list().data] == [retried.id]


def test_latency_delays_the_answer_by_at_least_the_given_time(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.add_fault("GET", "/v1/payment_intents", "latency", count=1, latency_ms=400)
    started = time.monotonic()
    stripe_client.v1.payment_intents.list()
    slow = time.monotonic() - started
    started = time.monotonic()
    stripe_client.v1.payment_intents.list()
    fast = time.monotonic() - started
    assert slow >= 0.4
    assert slow - fast > 0.3


def test_a_malformed_fault_is_refused(sim: ProviderSimProcess) -> None:
    with pytest.raises(SimControlError) as refused:
        sim.add_fault("POST", "/v1/payment_intents", "explode")
    assert refused.value.status == 400
