"""Inventory race (playbook test 6): fifty buyers press Pay for the last five units at the same moment, over real
HTTP to the API process; carts holding two SKUs lock them in opposite orders.

What must hold: no oversell. Exactly as many orders hold stock as there are units, the others are told
`insufficient_inventory` and nothing is created for them at the provider; `reserved` never exceeds `on_hand`;
once the winners pay, the units leave stock exactly once and nothing is left to sell; and carts taking SKUs in
opposite orders never deadlock."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa
from promises import a_ready_cart, assert_charged_once, pay, reaches, stock
from sqlalchemy import Engine

from checkout_engine.db.tables import inventory_reservations, orders
from support.http import assert_error
from support.processes import ApiProcess
from support.provider_sim_process import ProviderSimProcess

BUYERS = 50
UNITS = 5


def checkout_all(api: ApiProcess, cart_ids: list[str]) -> list[httpx.Response]:
    def submit(cart_id: str) -> httpx.Response:
        return httpx.post(
            f"{api.url}/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": f"k-{cart_id}"}, json={}, timeout=60
        )

    with ThreadPoolExecutor(len(cart_ids)) as pool:
        return list(pool.map(submit, cart_ids))


def set_stock(shop: httpx.Client, headers: dict[str, str], sku: str, on_hand: int) -> None:
    response = shop.put(f"/admin/v1/inventory/{sku}", json={"on_hand": on_hand, "reason": "test"}, headers=headers)
    assert response.status_code == 200, response.text


def test_fifty_buyers_for_the_last_five_units_make_five_orders_five_charges_and_no_oversell(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess, admin_headers: dict[str, str]
) -> None:
    set_stock(shop, admin_headers, "SHIRT", BUYERS)
    with ThreadPoolExecutor(10) as pool:  # fifty shoppers fill their carts side by side
        cart_ids = list(pool.map(lambda _: a_ready_cart(shop, {"SHIRT": 1}), range(BUYERS)))
    set_stock(shop, admin_headers, "SHIRT", UNITS)

    responses = checkout_all(api, cart_ids)

    won = [r.json() for r in responses if r.status_code == 201]
    lost = [r for r in responses if r.status_code != 201]
    assert len(won) == UNITS, [r.text for r in lost if r.status_code >= 500]
    assert {(r.status_code, r.json()["error"]["code"]) for r in lost} == {(409, "insufficient_inventory")}
    assert all(r.json()["error"]["details"]["sku"] == "SHIRT" for r in lost)
    assert stock(engine, "SHIRT") == (UNITS, UNITS)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == UNITS
        assert conn.execute(sa.select(sa.func.sum(inventory_reservations.c.quantity))).scalar() == UNITS
    assert len(sim.stripe_client().v1.payment_intents.list(params={"limit": 100}).data) == UNITS

    for order in won:
        pay(sim, order)
    for order in won:
        reaches(engine, order["order_id"], "fulfilled")
        assert_charged_once(sim, order["order_id"], order["total"])
    assert stock(engine, "SHIRT") == (0, 0)
    late_buyer = shop.post("/v1/carts", json={"currency": "EUR", "country": "DE"}).json()["id"]
    assert_error(shop.put(f"/v1/carts/{late_buyer}/items/SHIRT", json={"quantity": 1}), 422, "insufficient_inventory")


def test_multi_line_carts_taking_skus_in_opposite_orders_never_deadlock(
    shop: httpx.Client, api: ApiProcess, engine: Engine, admin_headers: dict[str, str]
) -> None:
    pairs = 8
    set_stock(shop, admin_headers, "SHIRT", 100)
    set_stock(shop, admin_headers, "BOOK", 100)
    carts = []
    for _ in range(pairs):
        carts.append(a_ready_cart(shop, {"SHIRT": 1, "BOOK": 1}))
        carts.append(a_ready_cart(shop, {"BOOK": 1, "SHIRT": 1}))

    responses = checkout_all(api, carts)

    assert [r.status_code for r in responses] == [201] * len(carts), [r.text for r in responses]
    assert stock(engine, "SHIRT") == (100, 2 * pairs)
    assert stock(engine, "BOOK") == (100, 2 * pairs)
