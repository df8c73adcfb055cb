"""Admin API tests run the whole product (tests/support/stack.py) against PostgreSQL and the simulator process,
with helpers to place, pay and fulfil orders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import orders
from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from checkout_engine.webhooks import processor
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline
from support.stack import client, live, provider, settings, shop, wired, worker

__all__ = ["client", "live", "provider", "settings", "shop", "wired", "worker"]


@pytest.fixture
def webhook_worker(engine: Engine, settings: Settings, provider: PaymentProvider) -> Worker:
    """Processes webhooks only, leaving fulfilment, capture and the rest queued for the test to look at."""
    return Worker(
        JobContext(engine, settings, provider_factory=lambda: provider), handlers={PROCESS_WEBHOOK: processor.process}
    )


@pytest.fixture
def state_of(engine: Engine) -> Callable[[str], str]:
    def state(order_id: str) -> str:
        with engine.connect() as conn:
            found: str = conn.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
        return found

    return state


@pytest.fixture
def place(shop: TestClient) -> Callable[..., dict[str, Any]]:
    """Checks out a new cart (two shirts unless told otherwise); returns the checkout answer."""

    def placed(items: dict[str, int] | None = None, **cart: Any) -> dict[str, Any]:
        response = checkout(shop, ready_cart(shop, items, **cart), f"key-{uuid.uuid4().hex}")
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return placed


@pytest.fixture
def fulfilled(
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> Callable[..., dict[str, Any]]:
    """Places an order, pays it by card and waits until the webhook alone has made it fulfilled."""

    def paid_and_fulfilled(items: dict[str, int] | None = None, **cart: Any) -> dict[str, Any]:
        order = place(items, **cart)
        provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
        wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the order to be fulfilled")
        return order

    return paid_and_fulfilled


@pytest.fixture
def act(client: TestClient, admin_headers: dict[str, str]) -> Callable[..., Any]:
    """Posts an order action with a reason (or the given body) as the bootstrap admin."""

    def post(order_id: str, action: str, reason: str | None = "operator check", **body: Any) -> Any:
        payload = {"reason": reason, **body} if reason is not None else body or None
        return client.post(f"/admin/v1/orders/{order_id}/actions/{action}", json=payload, headers=admin_headers)

    return post
