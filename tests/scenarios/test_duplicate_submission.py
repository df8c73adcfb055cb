"""Duplicate submission (playbook test 1): the customer double-clicks Pay, the browser retries, a second tab submits
the same cart — twenty requests at once over real HTTP to the API process.

What must hold: with one Idempotency-Key there is one order, one set of stock holds and one intent at the provider;
every 201 is the same bytes and all but one are marked replayed, the rest are 409 `idempotency_key_in_use`. With a
key per tab the cart still checks out into one order, the others are told `cart_already_checked_out` with its id.
Once the customer pays, the money is taken once and the order is fulfilled once."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa
from promises import HAPPY_PATH, a_ready_cart, assert_charged_once, moves, pay, reaches, shipments, stock
from sqlalchemy import Engine

from checkout_engine.db.tables import inventory_reservations, orders, payment_attempts
from support.checkout import intents_for
from support.processes import ApiProcess
from support.provider_sim_process import ProviderSimProcess

CLIENTS = 20


def submit_all(api: ApiProcess, cart_id: str, keys: list[str]) -> list[httpx.Response]:
    def submit(key: str) -> httpx.Response:
        return httpx.post(
            f"{api.url}/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": key}, json={}, timeout=60
        )

    with ThreadPoolExecutor(len(keys)) as pool:
        return list(pool.map(submit, keys))


def test_twenty_concurrent_submissions_with_one_key_make_one_order_and_one_charge(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = a_ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "latency", count=1, latency_ms=300)  # widen the race window

    responses = submit_all(api, cart_id, ["double-click"] * CLIENTS)

    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
    assert all(r.json()["error"]["code"] == "idempotency_key_in_use" for r in responses if r.status_code == 409)
    assert len({r.text for r in created}) == 1
    assert sum(1 for r in created if r.headers.get("Idempotent-Replayed") != "true") == 1
    order = created[0].json()
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.id)).scalars().all() == [order["order_id"]]
        assert conn.execute(sa.select(sa.func.count()).select_from(payment_attempts)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(inventory_reservations)).scalar() == 1
    assert stock(engine, "SHIRT") == (10, 2)
    assert len(intents_for(sim, order["order_id"])) == 1
    late = shop.post(f"/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": "double-click"}, json={})
    assert late.status_code == 201 and late.text == created[0].text and late.headers["Idempotent-Replayed"] == "true"

    pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")
    assert_charged_once(sim, order["order_id"], order["total"])
    assert moves(engine, order["order_id"]) == HAPPY_PATH
    assert shipments(engine, order["order_id"]) == 1
    assert stock(engine, "SHIRT") == (8, 0)


def test_one_cart_submitted_from_ten_tabs_with_their_own_keys_checks_out_once(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = a_ready_cart(shop)

    responses = submit_all(api, cart_id, [f"tab-{n}" for n in range(10)])

    created = [r for r in responses if r.status_code == 201]
    assert len(created) == 1, [r.text for r in responses]
    order_id = created[0].json()["order_id"]
    refused = [r.json()["error"] for r in responses if r.status_code != 201]
    assert {(e["code"], e["details"]["order_id"]) for e in refused} == {("cart_already_checked_out", order_id)}
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.id)).scalars().all() == [order_id]
    assert stock(engine, "SHIRT") == (10, 2)
    assert [intent["metadata"]["order_id"] for intent in sim.stripe_client().v1.payment_intents.list().data] == [
        order_id
    ]
