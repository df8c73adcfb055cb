"""Idempotency as Stripe documents it: once an endpoint began executing, its answer is stored and replayed for the
key's 24 hours, errors included; a request refused by parameter validation stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
from sim_params import CARDS_FORM

from support.provider_sim_process import ProviderSimProcess

SECRET_KEY = "sk_test_replayed_errors"
MANUAL = {"amount": "2000", "currency": "eur", "capture_method": "manual", **CARDS_FORM}


def post(sim: ProviderSimProcess, path: str, data: dict[str, str], key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {SECRET_KEY}", **({"Idempotency-Key": key} if key else {})}
    return httpx.post(f"{sim.url}{path}", data=data, headers=headers, trust_env=False, timeout=10)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def test_a_capture_refused_too_early_is_replayed_even_after_the_intent_became_capturable(
    sim: ProviderSimProcess,
) -> None:
    intent = post(sim, "/v1/payment_intents", MANUAL).json()
    early = post(sim, f"/v1/payment_intents/{intent['id']}/capture", {}, key="capture-1")
    post(sim, f"/v1/payment_intents/{intent['id']}/confirm", {"payment_method": "pm_card_visa"})

    again = post(sim, f"/v1/payment_intents/{intent['id']}/capture", {}, key="capture-1")

    assert early.status_code == again.status_code == 400
    assert error_of(again)["code"] == "payment_intent_unexpected_state"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == early.content
    fresh = post(sim, f"/v1/payment_intents/{intent['id']}/capture", {}, key="capture-2")
    assert fresh.json()["status"] == "succeeded"


def test_a_refund_refused_as_not_refundable_is_replayed_under_its_key(sim: ProviderSimProcess) -> None:
    intent = post(sim, "/v1/payment_intents", MANUAL).json()
    early = post(sim, "/v1/refunds", {"payment_intent": intent["id"]}, key="refund-1")
    post(sim, f"/v1/payment_intents/{intent['id']}/confirm", {"payment_method": "pm_card_visa"})
    post(sim, f"/v1/payment_intents/{intent['id']}/capture", {})

    again = post(sim, "/v1/refunds", {"payment_intent": intent["id"]}, key="refund-1")

    assert (early.status_code, error_of(early)["code"]) == (400, "charge_not_refundable")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (400, "true")
    assert again.content == early.content


def test_a_replayed_error_is_forgotten_with_its_key_after_24_hours(sim: ProviderSimProcess) -> None:
    intent = post(sim, "/v1/payment_intents", MANUAL).json()
    post(sim, f"/v1/payment_intents/{intent['id']}/capture", {}, key="capture-late")
    post(sim, f"/v1/payment_intents/{intent['id']}/confirm", {"payment_method": "pm_card_visa"})
    sim.sim("POST", "clock", {"advance_seconds": 24 * 60 * 60 + 1})

    retried = post(sim, f"/v1/payment_intents/{intent['id']}/capture", {}, key="capture-late")

    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers


def test_a_parameter_error_is_not_stored_so_the_corrected_request_runs(sim: ProviderSimProcess) -> None:
    too_small = post(sim, "/v1/payment_intents", {**MANUAL, "amount": "10"}, key="create-1")
    corrected = post(sim, "/v1/payment_intents", MANUAL, key="create-1")

    assert (too_small.status_code, error_of(too_small)["code"]) == (400, "amount_too_small")
    assert corrected.status_code == 200 and "Idempotent-Replayed" not in corrected.headers
