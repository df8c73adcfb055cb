"""What the scenarios look at to judge the outcome: the customer's money at the provider, the shop's stock, and the
order's state and history in the database. Imported by the scenario modules (this folder is on their path)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any, cast

import httpx
import sqlalchemy as sa
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import inventory, jobs, order_events, orders, shipment_requests, webhook_events
from checkout_engine.webhooks.signature import signature_header
from support.checkout import checkout, intents_for, ready_cart
from support.processes import WEBHOOK_SECRET, eventually
from support.provider_sim_process import ProviderSimProcess

HAPPY_PATH = [
    (None, "draft"),
    ("draft", "payment_pending"),
    ("payment_pending", "paid"),
    ("paid", "fulfillment_pending"),
    ("fulfillment_pending", "fulfilled"),
]


def a_ready_cart(shop: httpx.Client, items: dict[str, int] | None = None, **cart: Any) -> str:
    """A cart with items and a shipping address, made over HTTP (the support helpers are typed for the in-process
    client, which is an `httpx.Client` as well)."""
    return ready_cart(cast(TestClient, shop), items, **cart)


def check_out(shop: httpx.Client, cart_id: str, key: str, **body: Any) -> httpx.Response:
    response: httpx.Response = checkout(cast(TestClient, shop), cart_id, key, **body)
    return response


def order_state(engine: Engine, order_id: str) -> str:
    with engine.connect() as conn:
        state: str = conn.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
    return state


def reaches(engine: Engine, order_id: str, state: str) -> None:
    """Waits until the background processes have brought the order to ``state``."""
    eventually(lambda: order_state(engine, order_id) == state, what=f"{order_id} to be {state}")


def transitions(engine: Engine, order_id: str) -> list[tuple[str | None, str, str | None]]:
    """The order's state changes, oldest first: (from, to, provider event id)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(order_events.c.from_state, order_events.c.to_state, order_events.c.provider_event_id)
            .where(order_events.c.order_id == order_id, order_events.c.kind == "transition")
            .order_by(order_events.c.id)
        )
        return [(row.from_state, row.to_state, row.provider_event_id) for row in rows]


def moves(engine: Engine, order_id: str) -> list[tuple[str | None, str]]:
    return [(source, target) for source, target, _ in transitions(engine, order_id)]


def stock(engine: Engine, sku: str) -> tuple[int, int]:
    """(on hand, reserved) for a tracked SKU."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(inventory.c.on_hand, inventory.c.reserved).where(inventory.c.sku == sku)).one()
    return row.on_hand, row.reserved


def shipments(engine: Engine, order_id: str) -> int:
    with engine.connect() as conn:
        count: int = conn.execute(
            sa.select(sa.func.count()).select_from(shipment_requests).where(shipment_requests.c.order_id == order_id)
        ).scalar_one()
    return count


def review_flag(engine: Engine, order_id: str) -> tuple[bool, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(orders.c.needs_review, orders.c.review_reason).where(orders.c.id == order_id)
        ).one()
    return row.needs_review, row.review_reason


def charges(sim: ProviderSimProcess, order_id: str) -> list[dict[str, Any]]:
    """The order's PaymentIntents at the provider that took the customer's money."""
    return [intent for intent in intents_for(sim, order_id) if intent["status"] == "succeeded"]


def assert_charged_once(sim: ProviderSimProcess, order_id: str, amount: int) -> dict[str, Any]:
    """The promise against a double charge: exactly one succeeded intent for the order, for exactly ``amount``."""
    taken = charges(sim, order_id)
    assert len(taken) == 1, f"{len(taken)} succeeded intents for {order_id}: {[i['id'] for i in taken]}"
    [intent] = taken
    assert (intent["amount"], intent["amount_received"]) == (amount, amount)
    return intent


def refunded_amounts(sim: ProviderSimProcess, payment_intent_id: str) -> list[int]:
    """Every refund the provider holds for the payment, by amount (whatever its status)."""
    listed = sim.stripe_client().v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
    return sorted(refund.amount for refund in listed.data)


def browser(sim: ProviderSimProcess) -> stripe.StripeClient:
    """The storefront's Stripe.js: only the publishable key, and the order's client secret."""
    return stripe.StripeClient("pk_test_storefront", base_addresses={"api": sim.url}, max_network_retries=0)


def pay(sim: ProviderSimProcess, order: dict[str, Any], method: str = "pm_card_visa") -> dict[str, Any]:
    """The customer confirms the order's payment in the browser, as Stripe.js does; returns the intent."""
    payment = order["payment"]
    params: Any = {"payment_method": method, "client_secret": payment["client_secret"]}
    intent = browser(sim).v1.payment_intents.confirm(payment["provider_payment_id"], params=params)
    result: dict[str, Any] = intent.to_dict()
    return result


def customer_view(client: httpx.Client, order: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]})
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def provider_events(sim: ProviderSimProcess, payment_id: str) -> list[dict[str, Any]]:
    """The provider's events about one payment (or its refunds), oldest first, as `GET /v1/events` lists them."""
    listed = [event.to_dict() for event in sim.stripe_client().v1.events.list(params={"limit": 100}).data]
    related = [
        event
        for event in listed
        if payment_id in (event["data"]["object"].get("id"), event["data"]["object"].get("payment_intent"))
    ]
    return sorted(related, key=lambda event: (event["created"], event["id"]))


def deliver(
    api_url: str, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> httpx.Response:
    """One event delivered as the provider delivers it (signed), whenever and in whatever order the test says."""
    body = json.dumps(event).encode()
    header = signature_header(body, secret=secret, timestamp=timestamp or int(time.time()))
    return httpx.post(
        f"{api_url}/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        timeout=30,
    )


def stored_events(engine: Engine) -> list[tuple[str, str, int, str]]:
    """Every stored webhook event: (provider event id, type, delivery count, processing status)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(webhook_events).order_by(webhook_events.c.id))
        return [(row.event_id, row.type, row.delivery_count, row.status) for row in rows]


def event_outcome(engine: Engine, event_id: str) -> tuple[str, str | None] | None:
    """(status, reason) of a stored event once its processing has finished, else None."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(webhook_events.c.status, webhook_events.c.status_reason).where(
                webhook_events.c.event_id == event_id
            )
        ).first()
    if row is None or row.status == "received":
        return None
    return row.status, row.status_reason


def metric(api_url: str, name: str) -> float:
    """A sample of the API process's Prometheus metrics (0 when it has none yet)."""
    text = httpx.get(f"{api_url}/metrics", timeout=30).text
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{}"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def work_done(engine: Engine) -> bool:
    """No job is queued or running: whatever the last delivery set off has run."""
    with engine.connect() as conn:
        pending = conn.execute(
            sa.select(sa.func.count()).select_from(jobs).where(jobs.c.status.in_(["queued", "running"]))
        ).scalar_one()
    return pending == 0


def let_the_reservation_run_out(engine: Engine, order_id: str) -> None:
    """The clock passes the order's reservation TTL (without a test waiting 15 minutes for it)."""
    past = utcnow() - timedelta(seconds=1)
    with engine.begin() as conn:
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(expires_at=past))
