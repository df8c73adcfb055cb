"""Refunds: an idempotent admin request makes a record and a job; partial refunds add up and never exceed what was
captured; the order follows the provider's confirmation; support's limit per order. (A refund job retried after its
worker died is a scenario: tests/scenarios/test_refund_retry.py.)"""

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.db.tables import audit_log
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.http import assert_error
from support.pipeline import Pipeline


def paid_order(shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline) -> dict[str, Any]:
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    return order


def refund(client: TestClient, headers: dict[str, str], order_id: str, amount: int, key: str) -> Any:
    return client.post(
        f"/admin/v1/orders/{order_id}/refunds",
        json={"amount": amount, "reason": "customer asked"},
        headers={**headers, "Idempotency-Key": key},
    )


def test_partial_refunds_add_up_to_a_full_refund_and_never_beyond(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, admin_headers: dict[str, str]
) -> None:
    order = paid_order(shop, engine, provider, wired)
    total = order["total"]
    first = refund(shop, admin_headers, order["order_id"], 1000, "r1")
    assert first.status_code == 201 and first.json()["status"] == "requested"
    assert refund(shop, admin_headers, order["order_id"], 1000, "r1").headers["Idempotent-Replayed"] == "true"
    wired.until(lambda: order_state(engine, order["order_id"]) == "partially_refunded", what="the partial refund")
    error = assert_error(refund(shop, admin_headers, order["order_id"], total, "r2"), 422, "refund_exceeds_captured")
    assert error["details"]["refundable"] == total - 1000
    assert refund(shop, admin_headers, order["order_id"], total - 1000, "r3").status_code == 201
    wired.until(lambda: order_state(engine, order["order_id"]) == "refunded", what="the full refund")
    at_provider = (
        wired.sim.stripe_client()
        .v1.refunds.list(params={"payment_intent": order["payment"]["provider_payment_id"]})
        .data
    )
    assert sorted(r.amount for r in at_provider) == sorted([1000, total - 1000])
    with engine.connect() as conn:
        assert conn.execute(sa.select(audit_log.c.action)).scalars().all().count("refund.request") == 2


def test_a_refund_needs_a_key_a_reason_and_an_order_with_money(
    shop: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    order = place(shop)
    assert_error(
        shop.post(
            f"/admin/v1/orders/{order['order_id']}/refunds", json={"amount": 1, "reason": "x"}, headers=admin_headers
        ),
        400,
        "idempotency_key_required",
    )
    assert_error(
        shop.post(
            f"/admin/v1/orders/{order['order_id']}/refunds",
            json={"amount": 1},
            headers={**admin_headers, "Idempotency-Key": "k"},
        ),
        422,
        "validation_error",
    )
    assert_error(refund(shop, admin_headers, order["order_id"], 100, "k2"), 409, "order_not_refundable")
    assert_error(refund(shop, {}, order["order_id"], 100, "k3"), 401, "unauthenticated")


def test_support_may_refund_up_to_its_limit_per_order_and_finance_beyond(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    from checkout_engine.admin import keys
    from checkout_engine.admin.roles import Role

    settings.support_refund_limit = 1500
    order = paid_order(shop, engine, provider, wired)
    with engine.begin() as conn:
        _, support = keys.create(conn, name="ana", role=Role.SUPPORT)
        _, finance = keys.create(conn, name="fin", role=Role.FINANCE)
    as_support = {"Authorization": f"Bearer {support}"}
    assert refund(shop, as_support, order["order_id"], 1000, "s1").status_code == 201
    beyond = refund(shop, as_support, order["order_id"], 600, "s2")
    assert beyond.status_code == 202  # an approval request, not a refund (tests/checkout/test_approvals.py)
    assert {k: beyond.json()["needs_approval"][k] for k in ("limit_amount", "already_refunded")} == {
        "limit_amount": 1500,
        "already_refunded": 1000,
    }
    assert refund(shop, {"Authorization": f"Bearer {finance}"}, order["order_id"], 600, "f1").status_code == 201
