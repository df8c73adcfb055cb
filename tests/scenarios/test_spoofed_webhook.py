"""Spoofed webhook: someone who knows an order's payment id posts a `payment_intent.succeeded` to the API process
themselves — unsigned, signed with a secret of their own, with an old captured signature, or with a genuine
signature over a body they then changed — hoping the order is marked paid and shipped without any money.

What must hold: each forgery is refused with 400 `invalid_signature` before anything else happens; nothing is
stored, no job runs, the order stays unpaid and nothing ships; each refusal is counted in the API's metrics. The
same event genuinely signed is accepted, which shows the refusals were about the signature and nothing else."""

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from promises import deliver, metric, order_state, pay, provider_events, reaches, shipments, stored_events, work_done
from sqlalchemy import Engine

from checkout_engine.webhooks.signature import signature_header
from support.processes import WEBHOOK_SECRET, ApiProcess, eventually
from support.provider_sim_process import ProviderSimProcess

FAILURES = "checkout_webhook_signature_failures_total"


def forgeries(api: ApiProcess, event: dict[str, Any]) -> dict[str, httpx.Response]:
    body = json.dumps(event).encode()
    genuine_header = signature_header(body, secret=WEBHOOK_SECRET, timestamp=int(time.time()))
    return {
        "unsigned": httpx.post(f"{api.url}/webhooks/stripe", content=body, timeout=30),
        "wrong_secret": deliver(api.url, event, secret="whsec_attacker"),
        "stale": deliver(api.url, event, timestamp=int(time.time()) - 3600),
        "tampered": httpx.post(
            f"{api.url}/webhooks/stripe",
            content=body.replace(b'"amount": ', b'"amount": 1'),
            headers={"Stripe-Signature": genuine_header},
            timeout=30,
        ),
    }


def test_forged_webhooks_are_refused_stored_nowhere_and_counted(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Callable[..., dict[str, Any]]
) -> None:
    sim.configure_webhooks(drop_rate=1.0)  # the provider's own deliveries never arrive: only the attacker's do
    order = place()
    intent = pay(sim, order)  # a real payment exists, so the forged body is a perfect copy of a real event
    event = next(e for e in provider_events(sim, intent["id"]) if e["type"] == "payment_intent.succeeded")
    before = metric(api.url, FAILURES)

    refused = forgeries(api, event)

    for forgery, response in refused.items():
        assert response.status_code == 400, (forgery, response.text)
        assert response.json()["error"]["code"] == "invalid_signature", forgery
    assert {name: r.json()["error"]["details"]["reason"] for name, r in refused.items()} == {
        "unsigned": "missing_header",
        "wrong_secret": "no_matching_signature",
        "stale": "timestamp_outside_tolerance",
        "tampered": "no_matching_signature",
    }
    assert metric(api.url, FAILURES) == before + len(refused)
    assert stored_events(engine) == []
    assert work_done(engine)
    assert order_state(engine, order["order_id"]) == "payment_pending"
    assert shipments(engine, order["order_id"]) == 0

    assert deliver(api.url, event).status_code == 200  # the control: the provider's own signature is accepted
    reaches(engine, order["order_id"], "fulfilled")
    eventually(lambda: work_done(engine), what="the genuine event's work to finish")
    assert [(t, status) for _, t, _, status in stored_events(engine)] == [("payment_intent.succeeded", "processed")]
    assert metric(api.url, FAILURES) == before + len(refused)
