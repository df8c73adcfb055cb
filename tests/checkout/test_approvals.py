"""Approvals: a refund beyond support's limit and every manual state change of a paid order wait for a second
person, who approves or rejects with a reason; the action is checked again on approval and carried out once;
requests expire. (Two approvers racing, with real worker processes: tests/scenarios/test_approval_race.py.)"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.admin import keys
from checkout_engine.admin.roles import Role
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import approval_requests, audit_log, inventory, receipts, refunds, shipment_requests
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.http import assert_error
from support.pipeline import Pipeline

Headers = dict[str, str]


@pytest.fixture
def staff(engine: Engine) -> Callable[[str, Role], Headers]:
    def made(name: str, role: Role) -> Headers:
        with engine.begin() as conn:
            _, key = keys.create(conn, name=name, role=role)
        return {"Authorization": f"Bearer {key}"}

    return made


def ask_refund(shop: TestClient, headers: Headers, order_id: str, key: str, **body: Any) -> Any:
    return shop.post(
        f"/admin/v1/orders/{order_id}/refunds",
        json={"reason": "customer asked", **body},
        headers={**headers, "Idempotency-Key": key},
    )


def decide(shop: TestClient, headers: Headers, approval_id: str, verb: str, reason: str = "checked") -> Any:
    return shop.post(f"/admin/v1/approvals/{approval_id}/{verb}", json={"reason": reason}, headers=headers)


def stock(engine: Engine, sku: str) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(inventory.c.on_hand, inventory.c.reserved).where(inventory.c.sku == sku)).one()
    return row.on_hand, row.reserved


def provider_refunds(wired: Pipeline, order: dict[str, Any]) -> list[int]:
    client = wired.sim.stripe_client()
    listed = client.v1.refunds.list(params={"payment_intent": order["payment"]["provider_payment_id"]}).data
    return sorted(refund.amount for refund in listed if refund.status == "succeeded")


def audit_actions(engine: Engine, target_id: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.action, audit_log.c.actor)
            .where(audit_log.c.target_id == target_id)
            .order_by(audit_log.c.id)
        )
        return [(row.action, row.actor) for row in rows]


def test_a_refund_beyond_supports_limit_waits_for_finance_and_is_made_once(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    engine: Engine,
    wired: Pipeline,
    settings: Settings,
    staff: Callable[[str, Role], Headers],
    state_of: Callable[[str], str],
) -> None:
    settings.support_refund_limit = "EUR:1500,JPY:2000"
    ana, fin, fay = staff("ana", Role.SUPPORT), staff("fin", Role.FINANCE), staff("fay", Role.FINANCE)
    order = fulfilled()
    assert ask_refund(shop, ana, order["order_id"], "s1", amount=1000).status_code == 201  # within the limit

    asked = ask_refund(shop, ana, order["order_id"], "s2", amount=600)
    assert asked.status_code == 202, asked.text
    request = asked.json()["approval_request"]
    assert request["status"] == "pending" and request["action"] == "refund" and request["requested_by"] == "key:ana"
    assert request["amount"] == 600 and request["currency"] == "EUR" and request["params"] == {"amount": 600}
    assert asked.json()["needs_approval"]["limit_amount"] == 1500
    again = ask_refund(shop, ana, order["order_id"], "s2", amount=600)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == asked.json()
    with engine.connect() as conn:  # nothing moved yet
        assert conn.execute(sa.select(sa.func.count()).select_from(refunds)).scalar_one() == 1

    assert_error(decide(shop, ana, request["id"], "approve"), 403, "self_approval_forbidden")
    assert_error(decide(shop, staff("sam", Role.SUPPORT), request["id"], "approve"), 403, "forbidden")
    approved = decide(shop, fin, request["id"], "approve", "goodwill agreed")
    assert approved.status_code == 200, approved.text
    decided = approved.json()["approval_request"]
    assert decided["status"] == "approved" and decided["decided_by"] == "key:fin"
    assert decided["outcome"]["refund"]["amount"] == 600
    assert decided["outcome"]["refund"]["requested_by"] == "key:ana"
    assert_error(decide(shop, fay, request["id"], "approve"), 409, "approval_not_pending")
    assert_error(decide(shop, fay, request["id"], "reject"), 409, "approval_not_pending")

    wired.until(lambda: sorted(provider_refunds(wired, order)) == [600, 1000] or None, what="both refunds")
    wired.until(lambda: state_of(order["order_id"]) == "partially_refunded", what="the refunds to settle")
    read = shop.get(f"/admin/v1/approvals/{request['id']}", headers=fin).json()["approval_request"]
    assert read["outcome"]["refund"]["id"] == decided["outcome"]["refund"]["id"]
    assert audit_actions(engine, request["id"]) == [("approval.request", "key:ana"), ("approval.approve", "key:fin")]
    with engine.connect() as conn:
        approved_refund = conn.execute(sa.select(refunds).where(refunds.c.approval_id == request["id"])).one()
    assert approved_refund.requested_by == "key:ana" and approved_refund.amount == 600
    scraped = shop.get("/metrics").text
    assert (
        'checkout_approvals{status="approved"} 1.0' in scraped and 'checkout_approvals{status="pending"} 0.0' in scraped
    )
    assert shop.get("/admin/v1/stats", headers=fin).json()["approvals"] == {
        "pending": 0,
        "oldest_pending_age_seconds": None,
    }


def test_a_yen_refund_is_judged_against_the_yen_limit(
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    shop: TestClient,
    wired: Pipeline,
    settings: Settings,
    staff: Callable[[str, Role], Headers],
    state_of: Callable[[str], str],
) -> None:
    settings.support_refund_limit = "EUR:1500,JPY:2000"
    ana = staff("ana", Role.SUPPORT)
    order = place(currency="JPY")
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the yen order")
    assert ask_refund(shop, ana, order["order_id"], "y1", amount=1900).status_code == 201
    assert ask_refund(shop, ana, order["order_id"], "y2", amount=101).status_code == 202


def test_a_support_agents_daily_total_is_a_limit_of_its_own(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    settings: Settings,
    staff: Callable[[str, Role], Headers],
) -> None:
    settings.support_refund_limit = 100_000
    settings.support_daily_refund_limit = 1500
    ana, bo = staff("ana", Role.SUPPORT), staff("bo", Role.SUPPORT)
    first, second = fulfilled(), fulfilled()
    assert ask_refund(shop, ana, first["order_id"], "d1", amount=1000).status_code == 201
    beyond = ask_refund(shop, ana, second["order_id"], "d2", amount=600)
    assert beyond.status_code == 202 and beyond.json()["needs_approval"]["limit"] == "daily"
    assert beyond.json()["needs_approval"]["already_refunded"] == 1000
    assert ask_refund(shop, bo, second["order_id"], "d3", amount=600).status_code == 201  # bo's own day


def test_a_rejected_request_stays_rejected_and_a_cancelled_one_cancelled(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    staff: Callable[[str, Role], Headers],
) -> None:
    settings.support_refund_limit = 100
    ana, fin = staff("ana", Role.SUPPORT), staff("fin", Role.FINANCE)
    order = fulfilled()
    first = ask_refund(shop, ana, order["order_id"], "r1", amount=500).json()["approval_request"]
    assert_error(shop.post(f"/admin/v1/approvals/{first['id']}/reject", json={}, headers=fin), 422, "validation_error")
    rejected = decide(shop, fin, first["id"], "reject", "not our fault").json()["approval_request"]
    assert rejected["status"] == "rejected" and rejected["decision_reason"] == "not our fault"
    assert_error(decide(shop, fin, first["id"], "approve"), 409, "approval_not_pending")
    assert_error(decide(shop, ana, first["id"], "cancel"), 409, "approval_not_pending")

    second = ask_refund(shop, ana, order["order_id"], "r2", amount=500).json()["approval_request"]
    assert_error(decide(shop, fin, second["id"], "cancel"), 403, "not_the_requester")
    assert decide(shop, ana, second["id"], "cancel", "asked by mistake").json()["approval_request"]["status"] == (
        "cancelled"
    )
    assert_error(decide(shop, fin, second["id"], "approve"), 409, "approval_not_pending")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(refunds)).scalar_one() == 0
    listed = shop.get("/admin/v1/approvals", params={"order_id": order["order_id"]}, headers=fin).json()["data"]
    assert [(item["id"], item["status"]) for item in listed] == [(second["id"], "cancelled"), (first["id"], "rejected")]
    assert shop.get("/admin/v1/approvals", params={"status": "pending"}, headers=fin).json()["data"] == []
    assert_error(decide(shop, fin, "apr_" + "a" * 32, "approve"), 404, "approval_not_found")
    assert_error(shop.get("/admin/v1/approvals/apr_" + "a" * 32, headers=fin), 404, "approval_not_found")


def test_an_approval_that_no_longer_fits_the_order_is_refused_as_stale(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    staff: Callable[[str, Role], Headers],
) -> None:
    settings.support_refund_limit = 100
    ana, fin = staff("ana", Role.SUPPORT), staff("fin", Role.FINANCE)
    order = fulfilled()
    request = ask_refund(shop, ana, order["order_id"], "st1", amount=order["total"]).json()["approval_request"]
    assert ask_refund(shop, fin, order["order_id"], "st2", amount=order["total"] - 50).status_code == 201
    error = assert_error(decide(shop, fin, request["id"], "approve"), 409, "approval_stale")
    assert error["details"]["cause"] == "refund_exceeds_captured" and error["details"]["refundable"] == 50
    read = shop.get(f"/admin/v1/approvals/{request['id']}", headers=fin).json()["approval_request"]
    assert read["status"] == "pending"  # nothing half-done: the approver may reject it now
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(refunds)).scalar_one() == 1


def test_cancelling_a_paid_order_needs_a_second_admin_and_returns_money_and_stock(
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    shop: TestClient,
    engine: Engine,
    wired: Pipeline,
    admin_headers: Headers,
    staff: Callable[[str, Role], Headers],
    state_of: Callable[[str], str],
) -> None:
    second_admin = staff("second-admin", Role.ADMIN)
    before = stock(engine, "SHIRT")
    order = place({"SHIRT": 2})
    # Held for review, so the paid order is not fulfilled at once: it is paid, not yet delivered.
    flagged = shop.post(
        f"/admin/v1/orders/{order['order_id']}/actions/mark_for_review", json={"reason": "odd"}, headers=admin_headers
    )
    assert flagged.status_code == 200, flagged.text
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: state_of(order["order_id"]) == "paid", what="payment")
    assert stock(engine, "SHIRT") == (before[0] - 2, before[1])

    path = f"/admin/v1/orders/{order['order_id']}/actions/cancel"
    asked = shop.post(path, json={"reason": "customer changed their mind"}, headers=admin_headers)
    assert asked.status_code == 202, asked.text
    request = asked.json()["approval_request"]
    assert request["action"] == "cancel" and state_of(order["order_id"]) == "paid"
    assert_error(shop.post(path, json={"reason": "again"}, headers=admin_headers), 409, "approval_already_pending")
    assert_error(decide(shop, admin_headers, request["id"], "approve"), 403, "self_approval_forbidden")
    assert_error(decide(shop, staff("fin", Role.FINANCE), request["id"], "approve"), 403, "forbidden")

    approved = decide(shop, second_admin, request["id"], "approve", "confirmed with the customer")
    assert approved.status_code == 200, approved.text
    outcome = approved.json()["approval_request"]["outcome"]
    assert outcome["order"]["state"] == "cancelled_with_refund"
    assert outcome["refund"]["amount"] == order["total"] and outcome["restocked"] == [{"sku": "SHIRT", "quantity": 2}]
    assert stock(engine, "SHIRT") == before
    wired.until(lambda: provider_refunds(wired, order) == [order["total"]] or None, what="the refund at the provider")
    wired.until(lambda: _refund_status(engine, order["order_id"]) == "succeeded", what="the refund to settle")
    assert state_of(order["order_id"]) == "cancelled_with_refund"
    actions = audit_actions(engine, order["order_id"])
    assert ("order.cancel_with_refund", "key:second-admin") in actions and (
        "refund.request",
        "key:second-admin",
    ) in actions
    detail = shop.get(f"/admin/v1/orders/{order['order_id']}", headers=admin_headers).json()
    assert [item["id"] for item in detail["approvals"]] == [request["id"]]


def _refund_status(engine: Engine, order_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(refunds.c.status).where(refunds.c.order_id == order_id)).scalar()


def test_closing_and_cancelling_with_refund_are_asked_for_never_done_at_once(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    admin_headers: Headers,
    staff: Callable[[str, Role], Headers],
    state_of: Callable[[str], str],
) -> None:
    order = fulfilled()
    base = f"/admin/v1/orders/{order['order_id']}/actions"
    error = assert_error(
        shop.post(f"{base}/cancel_with_refund", json={"reason": "x"}, headers=admin_headers),
        409,
        "order_not_cancellable",
    )
    assert error["details"]["state"] == "fulfilled"
    asked = shop.post(f"{base}/close", json={"reason": "done with it"}, headers=admin_headers)
    assert asked.status_code == 202 and state_of(order["order_id"]) == "fulfilled"
    approved = decide(shop, staff("second-admin", Role.ADMIN), asked.json()["approval_request"]["id"], "approve")
    assert approved.json()["approval_request"]["outcome"]["order"]["state"] == "closed"
    assert state_of(order["order_id"]) == "closed"


def test_a_request_nobody_decides_expires(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    engine: Engine,
    worker: Any,
    settings: Settings,
    staff: Callable[[str, Role], Headers],
) -> None:
    settings.support_refund_limit = 100
    ana, fin = staff("ana", Role.SUPPORT), staff("fin", Role.FINANCE)
    order = fulfilled()
    request = ask_refund(shop, ana, order["order_id"], "e1", amount=500).json()["approval_request"]
    with engine.begin() as conn:  # its time is up
        conn.execute(
            approval_requests.update()
            .where(approval_requests.c.id == request["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    # Past its time it can no longer be approved, even before the sweep has closed it.
    assert_error(decide(shop, fin, request["id"], "approve"), 409, "approval_not_pending")
    listed = shop.get("/admin/v1/approvals", params={"status": "expired"}, headers=fin).json()["data"]
    assert [item["id"] for item in listed] == [request["id"]]
    from checkout_engine.approvals.decisions import expire_due

    assert expire_due(worker.context) == 1 and expire_due(worker.context) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(approval_requests.c.status)).scalar_one() == "expired"
    assert ("approval.expire", "system") in audit_actions(engine, request["id"])


def test_refunds_by_line_give_back_each_lines_share_and_never_more(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    engine: Engine,
    wired: Pipeline,
    admin_headers: Headers,
) -> None:
    order = fulfilled({"SHIRT": 3, "BOOK": 1})
    detail = shop.get(f"/admin/v1/orders/{order['order_id']}", headers=admin_headers).json()
    snapshot = detail["pricing_snapshot"]["payload"]
    shirt = next(line for line in snapshot["lines"] if line["sku"] == "SHIRT")
    one = ask_refund(shop, admin_headers, order["order_id"], "l1", lines=[{"sku": "SHIRT", "quantity": 1}])
    assert one.status_code == 201, one.text
    two = ask_refund(
        shop, admin_headers, order["order_id"], "l2", lines=[{"sku": "SHIRT", "quantity": 2}], shipping=True
    )
    assert two.status_code == 201, two.text
    assert one.json()["amount"] + two.json()["lines"][0]["amount"] == shirt["total"]
    assert two.json()["shipping_amount"] == snapshot["shipping_total"]
    assert two.json()["lines"] == [{"sku": "SHIRT", "quantity": 2, "amount": shirt["total"] - one.json()["amount"]}]
    more = ask_refund(shop, admin_headers, order["order_id"], "l3", lines=[{"sku": "SHIRT", "quantity": 1}])
    assert assert_error(more, 422, "refund_exceeds_line")["details"]["refundable_quantity"] == 0
    assert_error(
        ask_refund(shop, admin_headers, order["order_id"], "l4", shipping=True), 422, "shipping_already_refunded"
    )
    assert_error(
        ask_refund(shop, admin_headers, order["order_id"], "l5", lines=[{"sku": "EBOOK", "quantity": 1}]),
        422,
        "refund_line_unknown",
    )
    for body in ({"amount": 5, "lines": [{"sku": "BOOK", "quantity": 1}]}, {}, {"lines": []}):
        assert_error(
            ask_refund(shop, admin_headers, order["order_id"], f"bad-{len(body)}", **body), 422, "validation_error"
        )
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(refunds)).scalar_one() == 2
    listed = shop.get(f"/admin/v1/orders/{order['order_id']}", headers=admin_headers).json()["refunds"]
    assert [refund["lines"] for refund in listed] == [one.json()["lines"], two.json()["lines"]]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar_one() == 1

    def credit_notes() -> list[Any] | None:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(receipts.c.payload).where(receipts.c.purpose.like("credit_note:%")).order_by(receipts.c.id)
            ).scalars()
            found = [row for row in rows]
        return found if len(found) == 2 else None

    notes = {note["refund_id"]: note for note in wired.until(credit_notes, what="a credit note for each refund")}
    for made in (one.json(), two.json()):
        assert (notes[made["id"]]["amount"], notes[made["id"]]["lines"]) == (made["amount"], made["lines"])
    assert notes[two.json()["id"]]["shipping_amount"] == snapshot["shipping_total"]


def test_a_refund_that_could_never_be_made_is_refused_at_once_not_asked_for(
    fulfilled: Callable[..., dict[str, Any]],
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    staff: Callable[[str, Role], Headers],
) -> None:
    settings.support_refund_limit = 100
    ana = staff("ana", Role.SUPPORT)
    order = fulfilled()
    error = assert_error(
        ask_refund(shop, ana, order["order_id"], "n1", amount=order["total"] + 1), 422, "refund_exceeds_captured"
    )
    assert error["details"]["refundable"] == order["total"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(approval_requests)).scalar_one() == 0
