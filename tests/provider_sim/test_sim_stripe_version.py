"""Behaviour of the pinned API version: dynamic payment methods by default, `return_url`, capture method, the
parameters removed since, amounts and currencies, and the shapes of charges and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe
from sim_params import CARDS

from provider_sim.config import API_VERSION
from support.provider_sim_process import ProviderSimProcess

EUR_20: dict[str, Any] = {"amount": 2000, "currency": "eur"}
RETURN_URL = "https://shop.example/checkout/return"


def test_the_library_sends_the_version_the_simulator_renders(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(params={**EUR_20, **CARDS})
    assert stripe.api_version == API_VERSION
    assert intent.last_response.headers["Stripe-Version"] == API_VERSION


def test_without_a_setting_dynamic_payment_methods_are_on_and_capture_is_asynchronous(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = stripe_client.v1.payment_intents.create(params=EUR_20)

    assert intent.automatic_payment_methods.to_dict() == {"allow_redirects": "always", "enabled": True}
    assert intent.payment_method_types == ["card"]
    assert intent.capture_method == "automatic_async"


def test_a_confirm_that_may_redirect_needs_a_return_url(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(params=EUR_20)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})

    assert refused.value.http_status == 400
    assert "return_url" in str(refused.value)
    confirmed = stripe_client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "return_url": RETURN_URL}
    )
    assert confirmed.status == "succeeded"


@pytest.mark.parametrize(
    "setting",
    [
        {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}},
        {"allowed_payment_method_types": ["card"]},
        {"off_session": True},
    ],
    ids=["redirects-never", "cards-only", "off-session"],
)
def test_no_return_url_is_needed_when_nothing_can_redirect_or_nobody_is_there(
    stripe_client: stripe.StripeClient, setting: dict[str, Any]
) -> None:
    on_create = {key: value for key, value in setting.items() if key != "off_session"}
    on_confirm = {key: value for key, value in setting.items() if key == "off_session"}
    intent = stripe_client.v1.payment_intents.create(params={**EUR_20, **on_create})
    confirmed = stripe_client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", **on_confirm}
    )
    assert confirmed.status == "succeeded"


def test_payment_method_types_is_no_longer_a_parameter(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(params={**EUR_20, "payment_method_types": ["card"]})
    assert (refused.value.code, refused.value.param) == (
        "payment_method_types_no_longer_supported",
        "payment_method_types",
    )


def test_three_d_secure_with_a_return_url_redirects_and_without_one_uses_the_sdk(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    redirected = stripe_client.v1.payment_intents.create(
        params={**EUR_20, "payment_method": "pm_card_authenticationRequired", "confirm": True, "return_url": RETURN_URL}
    )
    in_page = stripe_client.v1.payment_intents.create(
        params={**EUR_20, **CARDS, "payment_method": "pm_card_authenticationRequired", "confirm": True}
    )

    assert redirected.next_action.type == "redirect_to_url"
    assert redirected.next_action.redirect_to_url.return_url == RETURN_URL
    assert redirected.next_action.redirect_to_url.url == f"{sim.url}/_sim/payment_intents/{redirected.id}/authenticate"
    assert in_page.next_action.type == "use_stripe_sdk"


@pytest.mark.parametrize(
    ("currency", "too_small", "enough"),
    [("usd", 49, 50), ("eur", 49, 50), ("gbp", 29, 30), ("jpy", 49, 50), ("chf", 49, 50), ("huf", 17499, 17500)],
)
def test_below_the_currency_minimum_the_create_is_refused_as_amount_too_small(
    stripe_client: stripe.StripeClient, currency: str, too_small: int, enough: int
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(params={"amount": too_small, "currency": currency, **CARDS})
    assert (refused.value.code, refused.value.param) == ("amount_too_small", "amount")
    assert stripe_client.v1.payment_intents.create(params={"amount": enough, "currency": currency, **CARDS})


def test_a_zero_decimal_amount_is_in_whole_units(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 500, "currency": "JPY", **CARDS, "payment_method": "pm_card_visa", "confirm": True}
    )
    assert (intent.currency, intent.amount_received) == ("jpy", 500)


def test_an_unknown_currency_and_an_unknown_customer_are_refused_as_stripe_refuses_them(
    stripe_client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as currency:
        stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "xyz"})
    with pytest.raises(stripe.InvalidRequestError) as customer:
        stripe_client.v1.payment_intents.create(params={**EUR_20, "customer": "cus_nobody"})

    assert currency.value.param == "currency" and "Invalid currency: xyz" in str(currency.value)
    assert (customer.value.http_status, customer.value.code, customer.value.param) == (
        404,
        "resource_missing",
        "customer",
    )


def test_errors_carry_stripes_fields_and_leave_absent_ones_out(sim: ProviderSimProcess) -> None:
    headers = {"Authorization": "Bearer sk_test_errors"}
    answer = httpx.post(f"{sim.url}/v1/payment_intents", data={"currency": "eur"}, headers=headers, trust_env=False)
    unknown = httpx.get(f"{sim.url}/v1/nothing_here", headers=headers, trust_env=False)

    error = answer.json()["error"]
    assert error["code"] == "parameter_missing" and error["param"] == "amount"
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/parameter-missing"
    assert error["request_log_url"].startswith(f"https://dashboard.stripe.com/test/logs/{answer.headers['Request-Id']}")
    assert unknown.status_code == 404
    assert set(unknown.json()["error"]) == {"message", "type"}
    assert unknown.json()["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nothing_here).")


def test_documented_parameters_are_accepted_and_undocumented_ones_refused(stripe_client: stripe.StripeClient) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={
            **EUR_20,
            **CARDS,
            "capture_method": "manual",
            "description": "order 7",
            "statement_descriptor_suffix": "ORDER 7",
            "receipt_email": "buyer@example.com",
            "radar_options": {"session": "rs_1"},
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    captured = stripe_client.v1.payment_intents.capture(
        intent.id, params={"metadata": {"captured_by": "job"}, "final_capture": True}
    )
    refund = stripe_client.v1.refunds.create(
        params={"payment_intent": intent.id, "currency": "eur", "instructions_email": "buyer@example.com"}
    )

    assert (captured.status, captured.metadata["captured_by"], captured.receipt_email) == (
        "succeeded",
        "job",
        "buyer@example.com",
    )
    assert refund.status == "pending"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(params={**EUR_20, "colour": "blue"})
    assert (refused.value.code, refused.value.param) == ("parameter_unknown", "colour")
