"""API keys: any `sk_test_` key, and a `pk_test_` key only to confirm with the client secret."""

from __future__ import annotations

import httpx
import pytest
import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess


def test_a_key_that_is_not_a_test_secret_key_is_refused_with_401(sim: ProviderSimProcess) -> None:
    for key in ("sk_live_abc", "rk_test_abc", "nonsense"):
        with pytest.raises(stripe.AuthenticationError) as refused:
            sim.stripe_client(api_key=key).v1.payment_intents.list()
        assert refused.value.http_status == 401


def test_a_request_without_credentials_is_refused_with_stripes_error_shape(sim: ProviderSimProcess) -> None:
    response = httpx.get(f"{sim.url}/v1/payment_intents", trust_env=False)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]


def test_a_browser_confirms_with_the_publishable_key_and_the_client_secret(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur", **CARDS})
    browser = sim.stripe_client(api_key="pk_test_browser")

    confirmed = browser.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "client_secret": intent.client_secret}
    )

    assert confirmed.status == "succeeded"


def test_the_publishable_key_is_refused_without_the_right_secret_and_everywhere_else(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur", **CARDS})
    other = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur", **CARDS})
    browser = sim.stripe_client(api_key="pk_test_browser")
    attempts = [
        lambda: browser.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"}),
        lambda: browser.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa", "client_secret": other.client_secret}
        ),
        lambda: browser.v1.payment_intents.retrieve(intent.id),
        lambda: browser.v1.payment_intents.create(params={"amount": 1, "currency": "eur", **CARDS}),
        lambda: browser.v1.refunds.list(),
    ]
    for attempt in attempts:
        with pytest.raises(stripe.AuthenticationError):
            attempt()
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
