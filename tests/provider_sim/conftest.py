"""Fixtures of the simulator's own tests; the process itself (``sim``) comes from the root conftest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from sim_webhook_receiver import WebhookReceiver

from support.provider_sim_process import ProviderSimProcess


@pytest.fixture
def stripe_client(sim: ProviderSimProcess) -> stripe.StripeClient:
    return sim.stripe_client()


@pytest.fixture
def receiver(sim: ProviderSimProcess) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    sim.configure_webhooks(url=receiver.url, secret="whsec_test_receiver", backoff_base_ms=20, backoff_max_ms=200)
    yield receiver
    sim.configure_webhooks(url=None)
    receiver.close()
