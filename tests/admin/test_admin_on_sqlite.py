"""The admin order and operations calls also work on the embedded SQLite database that `checkout-engine run`
uses: every query (the JSON look-ups into stored events included) and every action that needs no provider."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import jobs
from checkout_engine.orders.model import OrderState
from support.orders import make_order


def call(client: TestClient, headers: dict[str, str], method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.sqlite
def test_the_admin_views_and_provider_free_actions_work_on_both_databases(
    client: TestClient, engine: Engine, admin_headers: dict[str, str]
) -> None:
    pending = [make_order(engine, OrderState.PAYMENT_PENDING).id for _ in range(3)]
    paid = make_order(engine, OrderState.PAID).id
    reason = {"json": {"reason": "smoke test"}}

    first = call(client, admin_headers, "GET", "/admin/v1/orders", params={"limit": 3})
    rest = call(client, admin_headers, "GET", "/admin/v1/orders", params={"limit": 3, "cursor": first["next_cursor"]})
    assert [o["id"] for o in first["data"] + rest["data"]] == [paid, *reversed(pending)]
    assert rest["next_cursor"] is None
    assert [
        o["id"] for o in call(client, admin_headers, "GET", "/admin/v1/orders", params={"state": "paid"})["data"]
    ] == [paid]

    call(client, admin_headers, "POST", f"/admin/v1/orders/{pending[0]}/actions/mark_for_review", **reason)
    call(client, admin_headers, "POST", f"/admin/v1/orders/{pending[0]}/actions/clear_review", **reason)
    cancelled = call(client, admin_headers, "POST", f"/admin/v1/orders/{pending[1]}/actions/cancel", **reason)
    assert cancelled["order"]["state"] == "cancelled"
    queued = call(client, admin_headers, "POST", f"/admin/v1/orders/{paid}/actions/retry_fulfillment", **reason)
    assert queued["job_enqueued"] is True

    detail = call(client, admin_headers, "GET", f"/admin/v1/orders/{paid}")
    assert detail["order"]["state"] == "paid" and detail["webhook_events"] == []
    assert detail["pricing_snapshot"]["payload"]["lines"][0]["sku"] == "BOOK-1"
    events = call(client, admin_headers, "GET", "/admin/v1/webhook-events", params={"order_id": paid})
    assert events == {"data": [], "next_cursor": None}

    with engine.begin() as conn:
        conn.execute(jobs.update().values(status="dead"))
        job_id = conn.execute(sa.select(jobs.c.id)).scalar_one()
    assert call(client, admin_headers, "GET", "/admin/v1/jobs", params={"status": "dead"})["data"][0]["id"] == job_id
    retried = call(client, admin_headers, "POST", f"/admin/v1/jobs/{job_id}/retry", **reason)
    assert (retried["status"], retried["attempts"]) == ("queued", 0)

    stats = call(client, admin_headers, "GET", "/admin/v1/stats")
    assert stats["orders"]["by_state"]["payment_pending"] == 2 and stats["orders"]["by_state"]["cancelled"] == 1
    assert stats["jobs"]["queued"] == 1 and stats["jobs"]["oldest_queued_age_seconds"] >= 0
    audit = call(client, admin_headers, "GET", "/admin/v1/audit-log", params={"limit": 2})
    assert [e["action"] for e in audit["data"]] == ["job.retry", "order.retry_fulfillment"]
    assert audit["next_cursor"] is not None
