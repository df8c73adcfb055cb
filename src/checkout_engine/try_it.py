"""`checkout-engine try-it`: one purchase against a running `checkout-engine run`, step by step, as a storefront
and a browser would make it: cart, checkout, card payment at the provider, then the order paid and fulfilled from
the provider's webhook alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import stripe

from checkout_engine.local_stack import DEMO_PUBLISHABLE_KEY
from checkout_engine.money import Money

ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
SETTLE_SECONDS = 30


def purchase(api_url: str, sim_url: str, say: Callable[[str], None]) -> str:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        cart = http.post("/v1/carts", json={"currency": "EUR", "email": "ada@example.com"}).raise_for_status().json()
        say(f"cart {cart['id'][:12]}… created")
        for sku in ("TSHIRT-BLUE-M", "EBOOK-CHECKOUT"):
            http.put(f"/v1/carts/{cart['id']}/items/{sku}", json={"quantity": 1}).raise_for_status()
        quoted = http.put(f"/v1/carts/{cart['id']}/shipping", json={"address": ADDRESS, "method": "standard"})
        total = quoted.raise_for_status().json()["quote"]["total"]
        say(f"quote: {Money(total, 'EUR')} including tax and shipping")
        order = (
            http.post(
                f"/v1/carts/{cart['id']}/checkout",
                headers={"Idempotency-Key": f"try-it-{cart['id']}"},
                json={"expected_total": total},
            )
            .raise_for_status()
            .json()
        )
        say(f"order {order['order_id'][:12]}… is {order['state']}")
        browser = stripe.StripeClient(DEMO_PUBLISHABLE_KEY, base_addresses={"api": sim_url}, max_network_retries=0)
        params: Any = {"payment_method": "pm_card_visa", "client_secret": order["payment"]["client_secret"]}
        intent = browser.v1.payment_intents.confirm(order["payment"]["provider_payment_id"], params=params)
        say(f"card payment at the provider: {intent.status}; now waiting for its webhook")
        deadline = time.monotonic() + SETTLE_SECONDS
        state = order["state"]
        while time.monotonic() < deadline:
            view = http.get(f"/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]})
            state = view.raise_for_status().json()["state"]
            if state == "fulfilled":
                break
            time.sleep(0.25)
        say(f"order is {state}")
        return str(state)
