"""A small catalog written through the admin API, as a shop would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def put(client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.put(f"/admin/v1/{path}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def seed_catalog(client: TestClient, headers: dict[str, str]) -> None:
    put(
        client,
        headers,
        "products/SHIRT",
        {
            "name": "Shirt",
            "kind": "physical",
            "prices": {"EUR": 2000, "JPY": 2900},
            "tax_class": "standard",
            "active": True,
        },
    )
    put(
        client,
        headers,
        "products/BOOK",
        {"name": "Book", "kind": "physical", "prices": {"EUR": 3490}, "tax_class": "reduced", "active": True},
    )
    put(
        client,
        headers,
        "products/EBOOK",
        {"name": "E-book", "kind": "digital", "prices": {"EUR": 1000}, "tax_class": "reduced", "active": True},
    )
    put(
        client,
        headers,
        "products/OLD",
        {"name": "Retired", "kind": "physical", "prices": {"EUR": 100}, "tax_class": "standard", "active": False},
    )
    put(client, headers, "inventory/SHIRT", {"on_hand": 10, "reason": "stock count"})
    put(client, headers, "inventory/BOOK", {"on_hand": 3, "reason": "stock count"})
    put(client, headers, "inventory/OLD", {"on_hand": 3, "reason": "stock count"})
    put(
        client,
        headers,
        "shipping-methods/standard",
        {"name": "Standard", "prices": {"EUR": 495, "JPY": 800}, "countries": ["DE", "FR"]},
    )
    put(client, headers, "tax-rates/DE", {"standard": 1900, "reduced": 700})
    put(client, headers, "tax-rates/FR", {"standard": 2000, "reduced": 550})
    put(client, headers, "coupons/TENOFF", {"percent_off": 10})
    put(client, headers, "coupons/FIVEEUR", {"amount_off": 500, "currency": "EUR", "min_subtotal": 3000})


def new_cart(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/carts", json={"currency": "EUR", "country": "DE", **body})
    assert response.status_code == 201, response.text
    cart: dict[str, Any] = response.json()
    return cart


def set_item(client: TestClient, cart_id: str, sku: str, quantity: Any) -> Any:
    return client.put(f"/v1/carts/{cart_id}/items/{sku}", json={"quantity": quantity})
