"""Carts ready to check out, and the checkout call, for tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from support.catalog import new_cart, set_item
from support.provider_sim_process import ProviderSimProcess

ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


def ready_cart(client: TestClient, items: dict[str, int] | None = None, **cart: Any) -> str:
    """A cart with items and a shipping address, ready to check out."""
    cart_id = str(new_cart(client, **cart)["id"])
    for sku, quantity in (items or {"SHIRT": 2}).items():
        assert set_item(client, cart_id, sku, quantity).status_code == 200
    response = client.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "standard"})
    assert response.status_code == 200, response.text
    return cart_id


def checkout(client: TestClient, cart_id: str, key: str, **body: Any) -> Any:
    return client.post(f"/v1/carts/{cart_id}/checkout", json=body or None, headers={"Idempotency-Key": key})


def intents_for(sim: ProviderSimProcess, order_id: str) -> list[dict[str, Any]]:
    """Every PaymentIntent the simulator holds for the order (found by the metadata the engine sets)."""
    listed = [intent.to_dict() for intent in sim.stripe_client().v1.payment_intents.list(params={"limit": 100}).data]
    return [intent for intent in listed if intent["metadata"].get("order_id") == order_id]
