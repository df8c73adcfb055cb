"""Fulfilment only from a durable paid state, exactly once: a worker that crashed mid-way or ran twice still
grants one entitlement and requests one shipment; downloads stop when the entitlement ends."""

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.db.tables import entitlements, shipment_requests
from checkout_engine.fulfillment import service as fulfillment
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments.provider import PaymentProvider
from support.crash import ProcessDied
from support.pipeline import Pipeline


def test_fulfilment_that_crashed_mid_way_or_ran_twice_grants_once(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, worker: Worker, monkeypatch: Any
) -> None:
    wired.sim.configure_webhooks(drop_rate=1.0)
    order = place(shop, {"SHIRT": 1, "EBOOK": 1})
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    succeeded = next(
        e for e in wired.events_for(order["payment"]["provider_payment_id"]) if e["type"] == "payment_intent.succeeded"
    )
    real = fulfillment._request_shipment

    def dies(*args: Any) -> None:
        real(*args)
        raise ProcessDied("between the shipment request and the commit")

    monkeypatch.setattr(fulfillment, "_request_shipment", dies)
    wired.deliver(succeeded)
    with pytest.raises(ProcessDied):
        wired.pump()
    monkeypatch.setattr(fulfillment, "_request_shipment", real)
    payload = {"order_id": order["order_id"]}
    fulfillment.fulfill(worker.context, payload)
    fulfillment.fulfill(worker.context, payload)  # and once more, as a retried job would
    assert order_state(engine, order["order_id"]) == "fulfilled"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(entitlements)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar() == 1


def test_a_download_works_within_its_limit_and_never_after_a_refund(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, admin_headers: dict[str, str]
) -> None:
    order = place(shop, {"EBOOK": 1})
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    view = shop.get(f"/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]}).json()
    token = view["downloads"][0]["grant_token"]
    assert len(token) >= 40
    lefts = [shop.get(f"/v1/downloads/{token}").json()["downloads_left"] for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    assert shop.get(f"/v1/downloads/{token}").status_code == 404  # limit used up
    assert shop.get("/v1/downloads/not-a-token").status_code == 404
    with engine.begin() as conn:
        conn.execute(sa.update(entitlements).values(downloads_used=0))
    shop.post(
        f"/admin/v1/orders/{order['order_id']}/refunds",
        json={"amount": order["total"], "reason": "r"},
        headers={**admin_headers, "Idempotency-Key": "r"},
    )
    wired.until(lambda: order_state(engine, order["order_id"]) == "refunded", what="the refund")
    assert shop.get(f"/v1/downloads/{token}").status_code == 404


def test_a_paid_order_gets_one_receipt_and_support_can_send_it_again(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    from checkout_engine.db.tables import receipts
    from checkout_engine.db.unit_of_work import UnitOfWork
    from checkout_engine.orders import service as orders
    from checkout_engine.receipts.service import resend

    order = place(shop, {"EBOOK": 1})
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    with UnitOfWork(engine) as uow:
        resend(uow.connection, orders.get_order(uow, order["order_id"]))
        uow.commit()
    wired.pump()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(receipts.c.purpose, receipts.c.status).order_by(receipts.c.id)).all()
    assert [tuple(row) for row in rows] == [("order_paid", "sent"), ("resend:1", "sent")]
