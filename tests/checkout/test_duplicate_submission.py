"""Duplicate submission: twenty concurrent requests with one Idempotency-Key, over real HTTP. Exactly one order,
one set of stock holds and one provider intent; every 201 is the same body; the rest are replays or 409s."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import inventory, inventory_reservations, orders, payment_attempts
from support.checkout import intents_for, ready_cart
from support.provider_sim_process import ProviderSimProcess

CLIENTS = 20


def test_twenty_concurrent_submissions_with_one_key_make_one_order(
    shop: TestClient, live: str, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "latency", count=1, latency_ms=300)  # widen the race window

    def submit(_: int) -> httpx.Response:
        return httpx.post(
            f"{live}/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": "double-click"}, json={}, timeout=30
        )

    with ThreadPoolExecutor(CLIENTS) as pool:
        responses = list(pool.map(submit, range(CLIENTS)))

    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
    assert all(r.json()["error"]["code"] == "idempotency_key_in_use" for r in responses if r.status_code == 409)
    assert len({r.text for r in created}) == 1
    assert sum(1 for r in created if r.headers.get("Idempotent-Replayed") != "true") == 1
    order_id = created[0].json()["order_id"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.id)).scalars().all() == [order_id]
        assert conn.execute(sa.select(sa.func.count()).select_from(payment_attempts)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(inventory_reservations)).scalar() == 1
        assert conn.execute(sa.select(inventory.c.reserved).where(inventory.c.sku == "SHIRT")).scalar() == 2
    assert len(intents_for(sim, order_id)) == 1
    late = httpx.post(f"{live}/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": "double-click"}, json={})
    assert late.status_code == 201 and late.text == created[0].text and late.headers["Idempotent-Replayed"] == "true"
