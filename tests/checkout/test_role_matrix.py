"""Every admin endpoint for every role: allowed from its role up, 403 below, 401 without a key; every allowed
mutation that succeeds leaves an audit entry."""

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.admin import keys
from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import audit_log
from checkout_engine.payments.provider import PaymentProvider
from support.pipeline import Pipeline

V, S, F, A = Role.VIEWER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
PRODUCT = {"name": "Mug", "kind": "physical", "prices": {"EUR": 1250}, "tax_class": "standard"}
REASON = {"reason": "role matrix"}
NO_APPROVAL = "apr_" + "a" * 32

# (method, path with {order}, minimum role, body)
MATRIX: list[tuple[str, str, Role, dict[str, Any] | None]] = [
    ("GET", "/admin/v1/products/SHIRT", V, None),
    ("PUT", "/admin/v1/products/MUG", A, PRODUCT),
    ("GET", "/admin/v1/inventory/SHIRT", V, None),
    ("PUT", "/admin/v1/inventory/SHIRT", A, {"on_hand": 50, "reason": "count"}),
    ("PUT", "/admin/v1/coupons/MATRIX", A, {"percent_off": 5}),
    ("PUT", "/admin/v1/shipping-methods/matrix", A, {"name": "M", "prices": {"EUR": 100}, "countries": ["DE"]}),
    ("PUT", "/admin/v1/tax-rates/AT", A, {"standard": 2000, "reduced": 1000}),
    ("GET", "/admin/v1/orders", V, None),
    ("GET", "/admin/v1/orders/{order}", V, None),
    ("POST", "/admin/v1/orders/{order}/refunds", S, {"amount": 100, "reason": "goodwill"}),
    ("POST", "/admin/v1/orders/{order}/actions/resend_receipt", S, REASON),
    ("POST", "/admin/v1/orders/{order}/actions/mark_for_review", S, REASON),
    ("POST", "/admin/v1/orders/{order}/actions/clear_review", S, REASON),
    ("POST", "/admin/v1/orders/{order}/actions/retry_fulfillment", S, REASON),
    ("POST", "/admin/v1/orders/{order}/actions/cancel", A, REASON),
    ("POST", "/admin/v1/orders/{order}/actions/cancel_with_refund", A, REASON),
    ("POST", "/admin/v1/orders/{order}/actions/close", A, REASON),
    # Deciding is judged per request (by the action's role, never the requester); an unknown one is a 404 for all.
    (
        "PUT",
        "/admin/v1/webhook-endpoints/matrix",
        A,
        {"url": "https://192.0.2.1/h", "events": ["order.paid"], **REASON},
    ),
    ("GET", "/admin/v1/webhook-endpoints", V, None),
    ("GET", "/admin/v1/webhook-endpoints/matrix/deliveries", V, None),
    ("POST", "/admin/v1/webhook-deliveries/999999/replay", S, REASON),
    ("GET", "/admin/v1/approvals", V, None),
    ("GET", f"/admin/v1/approvals/{NO_APPROVAL}", V, None),
    ("POST", f"/admin/v1/approvals/{NO_APPROVAL}/approve", V, REASON),
    ("POST", f"/admin/v1/approvals/{NO_APPROVAL}/reject", V, REASON),
    ("POST", f"/admin/v1/approvals/{NO_APPROVAL}/cancel", V, REASON),
    ("GET", "/admin/v1/webhook-events", V, None),
    ("POST", "/admin/v1/webhook-events/{event}/replay", S, REASON),
    ("GET", "/admin/v1/jobs", V, None),
    ("POST", "/admin/v1/jobs/999999/retry", S, REASON),
    ("GET", "/admin/v1/stats", V, None),
    ("GET", "/admin/v1/audit-log", V, None),
    ("POST", "/admin/v1/reconciliation/runs", F, REASON),
    ("GET", "/admin/v1/reconciliation/runs", V, None),
    ("GET", "/admin/v1/reconciliation/findings", V, None),
    ("POST", "/admin/v1/reconciliation/findings/999999/resolve", F, {"note": "checked"}),
]


def audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one())


def test_every_admin_route_is_in_the_matrix(shop: TestClient) -> None:
    paths = {
        (method.upper(), path)
        for path, ops in shop.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method in ops
        if path.startswith("/admin/")
    }
    templated = {
        (
            m,
            p.replace("{order}", "{order_id}")
            .replace("{event}", "{event_id}")
            .replace("999999/retry", "{job_id}/retry")
            .replace("999999/resolve", "{finding_id}/resolve")
            .replace("/SHIRT", "/{sku}")
            .replace("/MUG", "/{sku}")
            .replace("/MATRIX", "/{code}")
            .replace("webhook-endpoints/matrix", "webhook-endpoints/{endpoint_id}")
            .replace("999999/replay", "{delivery_id}/replay")
            .replace("/matrix", "/{code}")
            .replace("/AT", "/{country}")
            .replace(NO_APPROVAL, "{approval_id}"),
        )
        for m, p, _, _ in MATRIX
    }
    assert paths - {("POST", "/admin/v1/orders/{order_id}/actions/{action}")} <= templated


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.label)
def test_each_role_gets_exactly_what_it_may_use(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, role: Role
) -> None:
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    event = wired.events_for(order["payment"]["provider_payment_id"])[-1]["id"]
    with engine.begin() as conn:
        _, key = keys.create(conn, name=f"matrix-{role.label}", role=role)
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"matrix-{role.label}"}
    for method, template, needed, body in MATRIX:
        path = template.format(order=order["order_id"], event=event)
        before = audit_count(engine)
        response = shop.request(method, path, json=body, headers=headers)
        if role >= needed:
            assert response.status_code not in (401, 403), (role, method, path, response.text)
            if method != "GET" and response.status_code < 300:
                assert audit_count(engine) == before + 1, (method, path)
        else:
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.json()["error"]["code"] == "forbidden"
            assert audit_count(engine) == before
        assert shop.request(method, path, json=body).status_code == 401
