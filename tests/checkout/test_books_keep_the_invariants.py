"""The invariants read real books: an order paid with a coupon and delivered, another still waiting for payment
with its stock and coupon held, read from PostgreSQL and the simulator, break none; our database alone
(``records.load_ours``, what a production self-check reads) proves its part, and sees a hold left past its time."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.chaos.simulator import SimControl
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import orders
from checkout_engine.invariants import ALWAYS, SETTLED, database_checks, records, run
from checkout_engine.invariants.world import RedemptionRow
from checkout_engine.payments.provider import PaymentProvider
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline
from support.provider_sim_process import ProviderSimProcess


def _state(engine: Engine, order_id: str) -> str:
    with engine.connect() as conn:
        state: str = conn.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
    return state


def _checked_out_with(shop: TestClient, code: str) -> dict[str, str]:
    cart_id = ready_cart(shop, {"SHIRT": 1})
    assert shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": code}).status_code == 200
    response = checkout(shop, cart_id, f"key-{cart_id}")
    assert response.status_code == 201, response.text
    return {"order": response.json()["order_id"], "intent": response.json()["payment"]["provider_payment_id"]}


def test_a_paid_coupon_order_and_a_waiting_one_keep_every_invariant_in_the_real_books(
    shop: TestClient,
    engine: Engine,
    provider: PaymentProvider,
    wired: Pipeline,
    sim: ProviderSimProcess,
    admin_headers: dict[str, str],
) -> None:
    shop.put("/admin/v1/coupons/TWICE", json={"percent_off": 10, "max_redemptions": 2}, headers=admin_headers)
    paid, waiting = _checked_out_with(shop, "TWICE"), _checked_out_with(shop, "TWICE")
    provider.confirm(paid["intent"], payment_method="pm_card_visa")
    wired.until(lambda: _state(engine, paid["order"]) == "fulfilled", what="the order to be fulfilled")

    books = SimControl(sim.url)
    try:
        world = records.load(engine, books, {})
    finally:
        books.close()
    assert run(ALWAYS + SETTLED, world) == []
    assert world.applied_coupons == {paid["order"]: "TWICE", waiting["order"]: "TWICE"}
    assert set(world.redemptions) == {
        RedemptionRow("TWICE", paid["order"], "consumed"),
        RedemptionRow("TWICE", waiting["order"], "reserved"),
    }

    ours = records.load_ours(engine)
    assert ours.provider_payments == () and database_checks(ours) == []
    later = records.load_ours(engine, as_of=utcnow() + timedelta(days=1))  # the sweep never expired it
    assert {(v.invariant, v.subject) for v in database_checks(later)} == {("holds_released_in_time", waiting["order"])}
