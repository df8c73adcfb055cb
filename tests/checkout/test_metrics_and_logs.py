"""After a scripted journey the counters and histograms hold what happened, `/metrics` shows the orders by state,
and the logs are JSON lines with the playbook's `payment_webhook_processed` record and no secrets."""

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.observability.logging import configure, redact
from checkout_engine.payments.model import PaymentDeclined
from checkout_engine.payments.provider import PaymentProvider
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline

SAMPLES = {
    "checkouts": ("checkout_creations_total", {}),
    "initiations": ("checkout_payment_initiations_total", {}),
    "succeeded": ("checkout_payments_total", {"outcome": "succeeded"}),
    "failed": ("checkout_payments_total", {"outcome": "failed"}),
    "replays": ("checkout_idempotency_total", {"outcome": "replay"}),
    "new_deliveries": ("checkout_webhook_deliveries_total", {"outcome": "new"}),
    "bad_signatures": ("checkout_webhook_signature_failures_total", {}),
    "processed": ("checkout_webhook_processing_seconds_count", {}),
    "provider_calls": ("checkout_provider_request_seconds_count", {"operation": "create_intent"}),
}


def snapshot() -> dict[str, float]:
    return {name: REGISTRY.get_sample_value(metric, labels) or 0.0 for name, (metric, labels) in SAMPLES.items()}


def test_a_scripted_journey_shows_in_the_metrics(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    before = snapshot()
    paid = place(shop)
    assert checkout(shop, ready_cart(shop), "k").status_code == 201
    replay_cart = ready_cart(shop)
    checkout(shop, replay_cart, "same")
    checkout(shop, replay_cart, "same")
    declined = place(shop)
    provider.confirm(paid["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(declined["payment"]["provider_payment_id"], payment_method="pm_card_chargeDeclined")
    wired.until(lambda: order_state(engine, paid["order_id"]) == "fulfilled", what="fulfilment")
    wired.until(lambda: order_state(engine, declined["order_id"]) == "payment_failed", what="the decline")
    assert shop.post("/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"}).status_code == 400
    after = snapshot()
    delta = {name: after[name] - before[name] for name in SAMPLES}
    assert delta["checkouts"] == 4 and delta["initiations"] == 4 and delta["provider_calls"] == 4
    assert (delta["succeeded"], delta["failed"], delta["replays"], delta["bad_signatures"]) == (1, 1, 1, 1)
    assert delta["new_deliveries"] >= 6 and delta["processed"] >= 2
    text = shop.get("/metrics").text
    assert 'checkout_orders{state="fulfilled"} 1.0' in text and 'checkout_orders{state="payment_failed"} 1.0' in text
    assert "checkout_orders_needing_review 0.0" in text and "checkout_creations_total" in text


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure(json=True)
    yield
    structlog.reset_defaults()


def test_webhook_processing_logs_the_playbooks_record_as_json(
    shop: TestClient,
    engine: Engine,
    provider: PaymentProvider,
    wired: Pipeline,
    capsys: pytest.CaptureFixture[str],
    json_logs: None,
) -> None:
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    processed = [r for r in records if r["event"] == "payment_webhook_processed"]
    moved = [r for r in processed if (r["previous_order_state"], r["next_order_state"]) == ("payment_pending", "paid")]
    assert len(moved) == 1 and moved[0]["event_type"] == "payment_intent.succeeded"
    assert "payment_intent.created" not in {r["event_type"] for r in processed}  # stored, never processed
    record = moved[0]
    assert record["order_id"] == order["order_id"] and record["provider_event_id"].startswith("evt_")
    assert record["processing_ms"] >= 0
    assert record["idempotent_replay"] is False and record["level"] == "info"
    assert order["order_token"] not in json.dumps(records)


def test_secrets_and_tokens_never_reach_a_log_line() -> None:
    event: dict[str, Any] = {
        "event": "x",
        "client_secret": "pi_123_secret_abcdef",
        "authorization": "Bearer ce_sk_abcdefghijkl",
        "note": "retrying with sk_test_51Habcdefgh and whsec_0123456789",
        "order_token": "ABCDEFGHIJKLMNOP",
    }
    cleaned = redact(None, "info", event)
    flat = json.dumps(cleaned)
    for secret in ("abcdef", "ce_sk_abcdefghijkl", "51Habcdefgh", "0123456789", "ABCDEFGHIJKLMNOP"):
        assert secret not in flat
    assert cleaned["note"] == "retrying with sk_test_… and whsec_…"


def test_the_access_log_names_routes_never_the_capabilities_in_their_paths(
    shop: TestClient, capsys: pytest.CaptureFixture[str], json_logs: None
) -> None:
    cart_id = ready_cart(shop)
    assert shop.get(f"/v1/carts/{cart_id}").status_code == 200
    assert shop.get("/v1/downloads/grant_made_up_0123456789").status_code == 404
    output = capsys.readouterr().out
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [(r["method"], r["route"], r["status"]) for r in records if r["event"] == "http_request"]
    assert ("GET", "/v1/carts/{cart_id}", 200) in requests
    assert ("GET", "/v1/downloads/{grant_token}", 404) in requests
    assert all("request_id" in r for r in records if r["event"] == "http_request")
    assert cart_id not in output and "grant_made_up_0123456789" not in output


def test_a_traceback_is_masked_like_any_other_text(capsys: pytest.CaptureFixture[str], json_logs: None) -> None:
    try:
        raise RuntimeError("provider refused sk_test_51Habcdefgh")
    except RuntimeError:
        structlog.get_logger().exception("job_failed")
    output = capsys.readouterr().out
    assert "job_failed" in output and "RuntimeError" in output
    assert "51Habcdefgh" not in output
