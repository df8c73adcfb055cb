"""The simulator as a process: settings from flags and `PROVIDER_SIM_*` variables, start and stop."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe
from sim_webhook_receiver import WebhookReceiver

from support.provider_sim_process import ProviderSimProcess, wait_for


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def test_settings_come_from_the_environment_and_survive_a_reset(receiver: WebhookReceiver) -> None:
    env = {
        "PROVIDER_SIM_WEBHOOK_URL": receiver.url,
        "PROVIDER_SIM_WEBHOOK_SECRET": "whsec_from_env",
        "PROVIDER_SIM_SETTLE_DELAY_MS": "100",
    }
    with ProviderSimProcess(env=env) as sim:
        client = sim.stripe_client()
        intent = client.v1.payment_intents.create(
            params={
                "amount": 100,
                "currency": "eur",
                "allowed_payment_method_types": ["card"],
                "payment_method": "pm_delayed_succeeds",
                "confirm": True,
            }
        )
        wait_for(lambda: client.v1.payment_intents.retrieve(intent.id).status == "succeeded", what="settled")
        delivered = receiver.wait_for(6)
        types = [stripe.Webhook.construct_event(r.body, r.signature, "whsec_from_env").type for r in delivered]
        assert types == [
            "payment_intent.created",
            "charge.pending",
            "payment_intent.processing",
            "charge.succeeded",
            "payment_intent.succeeded",
            "charge.updated",
        ]

        sim.reset()

        assert sim.sim("GET", "webhooks")["url"] == receiver.url
        assert sim.sim("GET", "settlement")["payment_delay_ms"] == 100


def test_flags_set_the_webhook_target_and_the_process_stops_cleanly() -> None:
    sim = ProviderSimProcess(webhook_url="http://127.0.0.1:9/hook", webhook_secret="whsec_flag", settle_delay_ms=50)
    with sim:
        settings = sim.sim("GET", "webhooks")
        assert (settings["url"], settings["secret"]) == ("http://127.0.0.1:9/hook", "whsec_flag")
        assert sim.sim("GET", "settlement")["payment_delay_ms"] == 50
    assert not sim.is_running()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{sim.url}/_sim/health", trust_env=False, timeout=1)
