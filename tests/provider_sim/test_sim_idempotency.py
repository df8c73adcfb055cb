"""`Idempotency-Key` with Stripe's semantics: replay, mismatch, in-progress, one object under concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess, wait_for

PARAMS: dict[str, Any] = {"amount": 1000, "currency": "eur", **CARDS, "metadata": {"order_id": "ord_7"}}
SECRET_KEY = "sk_test_idempotency"


def post(sim: ProviderSimProcess, path: str, data: dict[str, str], key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {SECRET_KEY}", "Idempotency-Key": key}
    return httpx.post(f"{sim.url}{path}", data=data, headers=headers, trust_env=False, timeout=10)


def test_the_same_key_and_parameters_replay_the_first_response_and_say_so(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    first = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "order-7-attempt-1"})
    again = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "order-7-attempt-1"})

    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert len(stripe_client.v1.payment_intents.list().data) == 1


def test_a_replay_has_the_same_status_and_body_byte_for_byte(sim: ProviderSimProcess) -> None:
    data = {"amount": "500", "currency": "eur", "metadata[a]": "1", "metadata[b]": "2"}
    first = post(sim, "/v1/payment_intents", data, "same-body")
    reordered = dict(reversed(list(data.items())))
    again = post(sim, "/v1/payment_intents", reordered, "same-body")

    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Original-Request"] == first.headers["Request-Id"]


def test_a_declined_confirmation_is_replayed_as_the_same_402(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(params=PARAMS)
    data = {"payment_method": "pm_card_chargeDeclined"}
    first = post(sim, f"/v1/payment_intents/{intent.id}/confirm", data, "decline-once")
    again = post(sim, f"/v1/payment_intents/{intent.id}/confirm", data, "decline-once")

    assert first.status_code == again.status_code == 402
    assert again.content == first.content
    failures = stripe_client.v1.events.list(params={"type": "payment_intent.payment_failed"}).data
    assert len(failures) == 1


def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    stripe_client: stripe.StripeClient,
) -> None:
    stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "reused"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        stripe_client.v1.payment_intents.create(params={**PARAMS, "amount": 999}, options={"idempotency_key": "reused"})

    assert refused.value.http_status == 400
    assert len(stripe_client.v1.payment_intents.list().data) == 1


def test_keys_are_scoped_to_the_api_key(sim: ProviderSimProcess) -> None:
    one = sim.stripe_client(api_key="sk_test_one")
    two = sim.stripe_client(api_key="sk_test_two")
    first = one.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "shared"})
    second = two.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "shared"})
    assert first.id != second.id


def test_a_key_still_in_use_answers_409_until_the_first_request_finishes(sim: ProviderSimProcess) -> None:
    sim.add_fault("POST", "/v1/payment_intents", "latency", latency_ms=1000)
    data = {"amount": "700", "currency": "eur"}
    results: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: results.append(post(sim, "/v1/payment_intents", data, "slow-key")))
    slow.start()
    wait_for(lambda: not sim.sim("GET", "faults")["data"], what="the slow request to take the fault")

    concurrent = post(sim, "/v1/payment_intents", data, "slow-key")
    slow.join(timeout=10)

    assert concurrent.status_code == 409
    error = concurrent.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "idempotency_key_in_use")
    assert results[0].status_code == 200
    replay = post(sim, "/v1/payment_intents", data, "slow-key")
    assert replay.json()["id"] == results[0].json()["id"]


def test_ten_concurrent_requests_with_one_key_create_exactly_one_intent(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    sim.add_fault("POST", "/v1/payment_intents", "latency", latency_ms=200)
    start = threading.Barrier(10)

    def create(_: int) -> str:
        # The library's own retries wait out a 409 "in progress", as they would against Stripe.
        client = sim.stripe_client(max_network_retries=4)
        start.wait()
        intent = client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "one-of-ten"})
        return str(intent.id)

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(create, range(10)))

    assert len(ids) == 1
    assert [intent.id for intent in stripe_client.v1.payment_intents.list().data] == list(ids)
    assert len(stripe_client.v1.events.list(params={"type": "payment_intent.created"}).data) == 1


def test_a_validation_error_is_not_stored_so_a_corrected_retry_with_the_key_succeeds(
    sim: ProviderSimProcess,
) -> None:
    refused = post(sim, "/v1/payment_intents", {"currency": "eur"}, "fix-me")
    assert refused.status_code == 400
    accepted = post(sim, "/v1/payment_intents", {"amount": "100", "currency": "eur"}, "fix-me")
    assert accepted.status_code == 200
