"""Price manipulation (playbook test 7): a client edits what it sends — a lower total, prices, amounts, a float, a
string — hoping the server takes its word; and the shop changes a price while an order waits for payment.

What must hold: the server's own quote decides every amount. A total that differs from the quote is refused with
409 `price_changed` and the real quote; money fields the API does not take are refused with 422; either way
nothing is held, nothing is created at the provider, and the cart stays open. The provider is asked for exactly
the order's snapshot total, and a price change after checkout neither raises nor lowers what the customer pays."""

from typing import Any

import httpx
import sqlalchemy as sa
from promises import a_ready_cart, assert_charged_once, check_out, customer_view, pay, reaches, stock
from sqlalchemy import Engine

from checkout_engine.db.tables import orders
from support.checkout import intents_for
from support.http import assert_error
from support.processes import ApiProcess
from support.provider_sim_process import ProviderSimProcess

TAMPERED_BODIES: list[Any] = [
    {"total": 1},
    {"amount": 1, "currency": "EUR"},
    {"expected_total": 1, "lines": [{"sku": "SHIRT", "quantity": 2, "unit_price": 1}]},
    {"expected_total": 52.55},
    {"expected_total": "1"},
    {"expected_total": -1},
]


def assert_nothing_happened(shop: httpx.Client, engine: Engine, sim: ProviderSimProcess, cart_id: str) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == 0
    assert stock(engine, "SHIRT") == (10, 0)
    assert sim.stripe_client().v1.payment_intents.list(params={"limit": 10}).data == []
    assert shop.get(f"/v1/carts/{cart_id}").json()["status"] == "open"


def test_a_client_total_or_price_is_never_taken_and_the_quote_is_what_the_customer_pays(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = a_ready_cart(shop)
    quote = shop.get(f"/v1/carts/{cart_id}").json()["quote"]

    cheap = assert_error(check_out(shop, cart_id, "cheap", expected_total=1), 409, "price_changed")
    assert cheap["details"]["quote"]["total"] == quote["total"] and cheap["details"]["expected_total"] == 1
    for n, body in enumerate(TAMPERED_BODIES):
        response = shop.post(f"/v1/carts/{cart_id}/checkout", json=body, headers={"Idempotency-Key": f"tamper-{n}"})
        assert_error(response, 422, "validation_error")
    assert_nothing_happened(shop, engine, sim, cart_id)

    honest = check_out(shop, cart_id, "honest", expected_total=quote["total"])
    assert honest.status_code == 201, honest.text
    order = honest.json()
    assert order["total"] == quote["total"]
    [intent] = intents_for(sim, order["order_id"])
    assert (intent["amount"], intent["currency"]) == (quote["total"], "eur")
    pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")
    assert_charged_once(sim, order["order_id"], quote["total"])


def test_a_price_change_while_the_order_waits_for_payment_changes_nothing_it_pays(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess, admin_headers: dict[str, str]
) -> None:
    cart_id = a_ready_cart(shop)
    before = shop.get(f"/v1/carts/{cart_id}").json()["quote"]
    order = check_out(shop, cart_id, "k").json()
    repriced = shop.put(
        "/admin/v1/products/SHIRT",
        json={"name": "Shirt", "kind": "physical", "prices": {"EUR": 9900}, "tax_class": "standard", "active": True},
        headers=admin_headers,
    )
    assert repriced.status_code == 200, repriced.text
    assert_error(shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"}), 409, "cart_frozen")

    pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")
    assert_charged_once(sim, order["order_id"], before["total"])
    view = customer_view(shop, order)
    assert view["total"] == before["total"]
    assert [(line["sku"], line["unit_price"]) for line in view["lines"]] == [("SHIRT", 2000)]  # the snapshot
    fresh = a_ready_cart(shop, {"SHIRT": 1})
    assert shop.get(f"/v1/carts/{fresh}").json()["quote"]["lines"][0]["unit_price"] == 9900  # new carts, new price
