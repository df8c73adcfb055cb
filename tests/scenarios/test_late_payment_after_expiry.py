"""Late payment after expiry: the money comes when the order's stock reservation has already run out — the customer
finishes 3-D Secure after the order expired, the provider's news of a payment is late when the expiry sweep comes
round, or the provider takes money on an order that expired and whose stock has since been sold.

What must hold: an expired order's intent is cancelled first, so a late confirmation takes no money and the
customer pays through a new attempt that re-reserves the stock; an order whose payment already succeeded is never
expired, whatever the webhooks say, and keeps its stock until the news arrives; money that lands on an order
whose stock is gone is refunded in full, the order flagged for review and never fulfilled. In every case the
customer is charged once, and kept at most once."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from promises import (
    HAPPY_PATH,
    assert_charged_once,
    charges,
    customer_view,
    let_the_reservation_run_out,
    moves,
    pay,
    reaches,
    refunded_amounts,
    review_flag,
    shipments,
    stock,
)
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import jobs, orders
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.inventory import service as inventory
from checkout_engine.orders import service as order_service
from checkout_engine.orders.model import OrderState
from support.checkout import intents_for
from support.processes import ApiProcess, eventually
from support.provider_sim_process import ProviderSimProcess, SimControlError

Place = Callable[..., dict[str, Any]]


def expiry_job_done(engine: Engine, order_id: str) -> bool:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs.c.status, jobs.c.payload).where(jobs.c.kind == "expire_order")).all()
    return [row.status for row in rows if row.payload["order_id"] == order_id] == ["done"]


def test_3ds_finished_after_the_order_expired_takes_no_money_and_a_new_attempt_pays_once(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    order = place()
    first = pay(sim, order, "pm_card_authenticationRequired")
    assert first["status"] == "requires_action"  # the customer is in the bank's challenge...
    let_the_reservation_run_out(engine, order["order_id"])
    reaches(engine, order["order_id"], "expired")
    assert stock(engine, "SHIRT") == (10, 0)

    with pytest.raises(SimControlError):  # ...and passes it only now: the provider refuses a cancelled intent
        sim.authenticate(first["id"], "succeed")
    assert charges(sim, order["order_id"]) == []

    attempt = shop.post(
        f"/v1/orders/{order['order_id']}/payment-attempts",
        headers={"Idempotency-Key": "pay-again", "X-Order-Token": order["order_token"]},
    )
    assert attempt.status_code == 201, attempt.text
    again = {**order, **attempt.json()}
    assert again["state"] == "payment_pending" and again["total"] == order["total"]
    assert stock(engine, "SHIRT") == (10, 2)
    pay(sim, again)
    reaches(engine, order["order_id"], "fulfilled")
    assert moves(engine, order["order_id"]) == [
        (None, "draft"),
        ("draft", "payment_pending"),
        ("payment_pending", "expired"),
        ("expired", "payment_pending"),
        ("payment_pending", "paid"),
        ("paid", "fulfillment_pending"),
        ("fulfillment_pending", "fulfilled"),
    ]
    charged = assert_charged_once(sim, order["order_id"], order["total"])
    assert charged["id"] == again["payment"]["provider_payment_id"]
    assert sorted(i["status"] for i in intents_for(sim, order["order_id"])) == ["canceled", "succeeded"]
    assert stock(engine, "SHIRT") == (8, 0)


def test_a_paid_order_whose_webhook_is_late_is_not_expired_and_keeps_its_stock(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    sim.configure_webhooks(paused=True)  # the provider's news is late
    order = place()
    pay(sim, order)
    let_the_reservation_run_out(engine, order["order_id"])

    eventually(lambda: expiry_job_done(engine, order["order_id"]), what="the expiry sweep to look at the order")
    assert moves(engine, order["order_id"]) == HAPPY_PATH[:2]  # still payment_pending: the provider said paid
    assert stock(engine, "SHIRT") == (10, 2)
    assert [i["status"] for i in intents_for(sim, order["order_id"])] == ["succeeded"]
    with engine.connect() as conn:
        held_until = conn.execute(sa.select(orders.c.expires_at)).scalar_one()
    assert held_until > utcnow() + timedelta(minutes=5)  # looked at again only once the news had time to come

    sim.configure_webhooks(paused=False)
    reaches(engine, order["order_id"], "fulfilled")
    assert moves(engine, order["order_id"]) == HAPPY_PATH
    assert_charged_once(sim, order["order_id"], order["total"])
    assert stock(engine, "SHIRT") == (8, 0)


def test_late_money_for_an_expired_order_whose_stock_is_gone_is_refunded_and_never_fulfilled(
    shop: httpx.Client,
    api: ApiProcess,
    engine: Engine,
    sim: ProviderSimProcess,
    place: Place,
    admin_headers: dict[str, str],
) -> None:
    order = place()
    # The order expired while its intent stayed open at the provider (as if the cancellation had been lost there)...
    with UnitOfWork(engine) as uow:
        current = order_service.get_order(uow, order["order_id"])
        order_service.transition(uow, current, OrderState.EXPIRED, reason="reservation_expired", actor="worker")
        inventory.release(uow, current.id)
        uow.commit()
    # ...and the stock sold elsewhere.
    sold_out = shop.put("/admin/v1/inventory/SHIRT", json={"on_hand": 0, "reason": "sold out"}, headers=admin_headers)
    assert sold_out.status_code == 200, sold_out.text

    intent = pay(sim, order)  # the customer's money arrives anyway
    reaches(engine, order["order_id"], "refunded")
    steps = moves(engine, order["order_id"])
    assert ("expired", "paid") in steps and ("paid", "refunded") in steps
    assert not any(target in ("fulfillment_pending", "fulfilled") for _, target in steps)
    assert shipments(engine, order["order_id"]) == 0
    assert review_flag(engine, order["order_id"]) == (True, "paid but the stock is gone")
    assert customer_view(shop, order)["state"] == "refunded"
    assert_charged_once(sim, order["order_id"], order["total"])
    assert refunded_amounts(sim, intent["id"]) == [order["total"]]
    assert stock(engine, "SHIRT") == (0, 0)
