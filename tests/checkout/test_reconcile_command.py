"""`checkout-engine reconcile`: one run from the command line, with a summary table, that repairs what it finds."""

import os
import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.pipeline import Pipeline


def test_the_command_repairs_a_dropped_payment_and_prints_its_summary(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    wired.sim.configure_webhooks(drop_rate=1.0)
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    env = {
        **os.environ,
        "CHECKOUT_DATABASE_URL": settings.database_url,
        "CHECKOUT_STRIPE_API_BASE": settings.stripe_api_base,
        "CHECKOUT_STRIPE_SECRET_KEY": "sk_test_engine",
    }
    result = subprocess.run(
        [sys.executable, "-m", "checkout_engine.cli", "reconcile", "--since", "2020-01-01T00:00:00+00:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "reconciliation run" in output and "repairs" in output and "provider_payments" in output
    assert order_state(engine, order["order_id"]) == "paid"
