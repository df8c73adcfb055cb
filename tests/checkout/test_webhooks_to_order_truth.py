"""Helpers for the checkout tests that follow an order through the provider's webhooks (several modules here import
them). The webhook scenarios themselves — the browser that never comes back, duplicate and out-of-order deliveries —
run against real processes in tests/scenarios/."""

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import order_events, orders
from support.checkout import checkout, ready_cart


def order_state(engine: Engine, order_id: str) -> str:
    with engine.connect() as conn:
        state: str = conn.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
    return state


def transitions(engine: Engine, order_id: str) -> list[tuple[str | None, str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(order_events.c.from_state, order_events.c.to_state, order_events.c.provider_event_id)
            .where(order_events.c.order_id == order_id, order_events.c.kind == "transition")
            .order_by(order_events.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def place(shop: TestClient, items: dict[str, int] | None = None) -> dict[str, Any]:
    response = checkout(shop, ready_cart(shop, items), "k")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
