"""Inventory race: many buyers for the last units at once. Exactly as many orders hold stock as there are units,
the others are told `insufficient_inventory`, `available` never goes below zero, and carts locking SKUs in
opposite orders never deadlock."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import inventory, inventory_reservations, orders
from support.checkout import ready_cart

BUYERS = 50
UNITS = 5


def checkout_all(live: str, cart_ids: list[str]) -> list[httpx.Response]:
    def submit(cart_id: str) -> httpx.Response:
        return httpx.post(
            f"{live}/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": f"k-{cart_id}"}, json={}, timeout=60
        )

    with ThreadPoolExecutor(len(cart_ids)) as pool:
        return list(pool.map(submit, cart_ids))


def stock(engine: Engine, sku: str) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(inventory.c.on_hand, inventory.c.reserved).where(inventory.c.sku == sku)).one()
    return row.on_hand, row.reserved


def test_fifty_buyers_for_the_last_five_units_make_exactly_five_orders(
    shop: TestClient, live: str, engine: Engine, admin_headers: dict[str, str]
) -> None:
    shop.put("/admin/v1/inventory/SHIRT", json={"on_hand": BUYERS, "reason": "test"}, headers=admin_headers)
    cart_ids = [ready_cart(shop, {"SHIRT": 1}) for _ in range(BUYERS)]
    shop.put("/admin/v1/inventory/SHIRT", json={"on_hand": UNITS, "reason": "test"}, headers=admin_headers)

    responses = checkout_all(live, cart_ids)

    won = [r for r in responses if r.status_code == 201]
    lost = [r for r in responses if r.status_code != 201]
    assert len(won) == UNITS, [r.text for r in lost if r.status_code >= 500]
    assert {(r.status_code, r.json()["error"]["code"]) for r in lost} == {(409, "insufficient_inventory")}
    assert stock(engine, "SHIRT") == (UNITS, UNITS)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == UNITS
        held = conn.execute(sa.select(sa.func.sum(inventory_reservations.c.quantity))).scalar()
    assert held == UNITS
    for response in lost:  # a loser's cart is untouched and can be changed
        assert response.json()["error"]["details"]["sku"] == "SHIRT"


def test_multi_line_carts_taking_skus_in_opposite_orders_never_deadlock(
    shop: TestClient, live: str, engine: Engine, admin_headers: dict[str, str]
) -> None:
    pairs = 8
    shop.put("/admin/v1/inventory/SHIRT", json={"on_hand": 100, "reason": "test"}, headers=admin_headers)
    shop.put("/admin/v1/inventory/BOOK", json={"on_hand": 100, "reason": "test"}, headers=admin_headers)
    carts = []
    for _ in range(pairs):
        carts.append(ready_cart(shop, {"SHIRT": 1, "BOOK": 1}))
        carts.append(ready_cart(shop, {"BOOK": 1, "SHIRT": 1}))

    responses = checkout_all(live, carts)

    assert [r.status_code for r in responses] == [201] * len(carts), [r.text for r in responses]
    assert stock(engine, "SHIRT") == (100, 2 * pairs)
    assert stock(engine, "BOOK") == (100, 2 * pairs)
