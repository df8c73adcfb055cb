"""The shop the customers buy from: two hot SKUs with a handful of units (so checkouts race for the last one and
expiry gives units back), two plentiful ones, a digital one without stock, and coupons of one or two redemptions
each (so checkouts race for the last redemption, and a declined order holds one meanwhile)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

CURRENCY = "EUR"
COUNTRY = "DE"
SHIPPING_METHOD = "std"
RESTOCK_ROUNDS = 3
ADDRESS = {"name": "Chaos Customer", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


class RestockUnknown(RuntimeError):
    """No API answered: the stock count can no longer be trusted (the run reports it)."""


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    kind: str
    price: int
    stock: int | None  # None: not tracked (digital)


HOT = (Product("HOT-LAMP", "physical", 4900, 3), Product("HOT-KETTLE", "physical", 3500, 4))
PLENTY = (Product("TEE", "physical", 1999, 1000), Product("MUG", "physical", 1200, 1000))
DIGITAL = Product("EBOOK", "digital", 900, None)
PRODUCTS = (*HOT, *PLENTY, DIGITAL)
SCARCE_COUPONS = {"SCARCE-1": 1, "SCARCE-2": 2, "SCARCE-3": 1, "SCARCE-4": 2}  # code: max_redemptions
COUPON_PERCENT_OFF = 20


def initial_stock() -> dict[str, int]:
    return {product.sku: product.stock for product in PRODUCTS if product.stock is not None}


def seed(api_url: str, admin_key: str) -> None:
    """Writes the catalog through the admin API, as an operator would."""
    calls: list[tuple[str, dict[str, Any]]] = [
        (
            "shipping-methods/" + SHIPPING_METHOD,
            {"name": "Standard", "prices": {CURRENCY: 495}, "countries": [COUNTRY]},
        ),
        ("tax-rates/" + COUNTRY, {"standard": 1900, "reduced": 700}),
    ]
    for product in PRODUCTS:
        tax_class = "reduced" if product.kind == "digital" else "standard"
        body = {"name": product.sku.title(), "kind": product.kind, "prices": {CURRENCY: product.price}}
        calls.append((f"products/{product.sku}", {**body, "tax_class": tax_class}))
        if product.stock is not None:
            calls.append((f"inventory/{product.sku}", {"on_hand": product.stock, "reason": "chaos run stock"}))
    for code, limit in SCARCE_COUPONS.items():
        coupon = {"percent_off": COUPON_PERCENT_OFF, "max_redemptions": limit, "reason": "chaos run coupon"}
        calls.append((f"coupons/{code}", coupon))
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30) as http:
        for path, body in calls:
            http.put(f"/admin/v1/{path}", json=body).raise_for_status()


def _restock(http: httpx.Client, api_urls: list[str], product: Product) -> int:
    """Units added to ``product``: its full stock if it was sold out, else none. Zero on hand changes only through
    this write (nothing can be held or sold), so after a write whose answer was lost, stock on hand proves it
    landed."""
    assert product.stock is not None
    written = False
    for url in api_urls * RESTOCK_ROUNDS:  # an API may be down (killed): the other answers
        try:
            if http.get(f"{url}/admin/v1/inventory/{product.sku}").raise_for_status().json()["on_hand"] != 0:
                return product.stock if written else 0
            written = True
            body = {"on_hand": product.stock, "reason": "chaos run restock"}
            http.put(f"{url}/admin/v1/inventory/{product.sku}", json=body).raise_for_status()
            return product.stock
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RestockUnknown(f"could not tell whether {product.sku} was restocked")


def restock_sold_out(api_urls: list[str], admin_key: str) -> dict[str, int]:
    """Puts a hot SKU's units back once every one is sold, so its last units are fought over again; returns the
    units added by SKU."""
    with httpx.Client(headers={"Authorization": f"Bearer {admin_key}"}, timeout=10) as http:
        added = {product.sku: _restock(http, api_urls, product) for product in HOT}
    return {sku: units for sku, units in added.items() if units}
