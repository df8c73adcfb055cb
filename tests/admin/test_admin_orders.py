"""The admin order list (filters, newest first, cursor pages) and the order detail that shows everything about
one order side by side; bad cursors and filters are refused in the contract's error shape, never with a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from checkout_engine.payments.provider import PaymentProvider
from support.http import assert_error
from support.pipeline import Pipeline

Place = Callable[..., dict[str, Any]]


def list_orders(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/admin/v1/orders", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"data", "next_cursor"}
    return body


def all_pages(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json()["data"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


def test_orders_are_listed_newest_first_in_cursor_pages_without_gaps_or_repeats(
    shop: TestClient, place: Place, admin_headers: dict[str, str]
) -> None:
    placed = [place()["order_id"] for _ in range(5)]
    pages = all_pages(shop, admin_headers, "/admin/v1/orders", limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [order["id"] for page in pages for order in page] == list(reversed(placed))
    first = pages[0][0]
    assert first["state"] == "payment_pending" and first["needs_review"] is False
    assert first["total"] > 0 and first["currency"] == "EUR"
    assert list_orders(shop, admin_headers)["next_cursor"] is None  # default limit 20 holds all five


def test_orders_are_filtered_by_state_review_flag_email_and_creation_time(
    shop: TestClient, place: Place, act: Callable[..., Any], admin_headers: dict[str, str]
) -> None:
    ada = place(email="ada@example.com")["order_id"]
    bob = place(email="bob@example.com")["order_id"]
    assert act(bob, "mark_for_review", reason="address looks odd").status_code == 200

    def ids(**params: Any) -> list[str]:
        return [order["id"] for order in list_orders(shop, admin_headers, **params)["data"]]

    assert ids(email="ADA@example.com") == [ada]
    assert ids(needs_review="true") == [bob] and ids(needs_review="false") == [ada]
    assert ids(state="payment_pending") == [bob, ada] and ids(state="fulfilled") == []
    bob_created = next(o for o in list_orders(shop, admin_headers)["data"] if o["id"] == bob)["created_at"]
    assert ids(created_gte=bob_created) == [bob]
    assert ids(created_lt=bob_created) == [ada]
    assert ids(state="payment_pending", needs_review="true", email="bob@example.com") == [bob]


def forged(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


BAD_CURSORS = [
    "",
    "not-a-cursor",
    "%%%",
    forged({"k": "jobs", "v": [1]}),
    forged({"k": "orders", "v": [1, 2]}),
    forged({"k": "orders", "v": ["yesterday", "ord_x"]}),
    forged({"k": "orders", "v": ["2026-01-01T00:00:00", "ord_x"]}),
    forged(["orders"]),
]


def test_a_cursor_we_did_not_make_is_a_400_never_a_500(shop: TestClient, admin_headers: dict[str, str]) -> None:
    for cursor in BAD_CURSORS:
        response = shop.get("/admin/v1/orders", params={"cursor": cursor}, headers=admin_headers)
        assert_error(response, 400, "invalid_cursor")


def test_a_cursor_from_another_list_or_with_a_forged_huge_id_is_refused(
    shop: TestClient, admin_headers: dict[str, str]
) -> None:
    other_list = forged({"k": "orders", "v": ["2026-01-01T00:00:00+00:00", "x"]})
    for path, kind in (("/admin/v1/jobs", "jobs"), ("/admin/v1/webhook-events", "webhook_events")):
        for cursor in (other_list, forged({"k": kind, "v": [2**70]}), forged({"k": kind, "v": [True]})):
            assert_error(shop.get(path, params={"cursor": cursor}, headers=admin_headers), 400, "invalid_cursor")
    huge = forged({"k": "audit_log", "v": [2**63]})
    assert_error(shop.get("/admin/v1/audit-log", params={"cursor": huge}, headers=admin_headers), 400, "invalid_cursor")


INVALID_FILTERS = [
    ("/admin/v1/orders", {"limit": 0}),
    ("/admin/v1/orders", {"limit": 101}),
    ("/admin/v1/orders", {"state": "lost"}),
    ("/admin/v1/orders", {"needs_review": "perhaps"}),
    ("/admin/v1/orders", {"created_gte": "last tuesday"}),
    ("/admin/v1/orders", {"created_gte": "9999-12-31T23:59:59-01:00"}),  # past the calendar once in UTC
    ("/admin/v1/orders", {"created_lt": "0001-01-01T00:00:00+01:00"}),  # before it
    ("/admin/v1/orders", {"created_gte": "2026-12-07T10:00:00"}),  # no zone: which moment is meant?
    ("/admin/v1/orders", {"email": "not an email"}),
    ("/admin/v1/webhook-events", {"status": "exploded"}),
    ("/admin/v1/jobs", {"status": "sleeping"}),
    ("/admin/v1/audit-log", {"limit": "many"}),
]


def test_a_row_id_beyond_any_row_is_refused_before_the_database_sees_it(
    shop: TestClient, admin_headers: dict[str, str]
) -> None:
    calls = [
        ("/admin/v1/reconciliation/findings/{}/resolve", {"note": "checked"}, "finding_not_found"),
        ("/admin/v1/jobs/{}/retry", {"reason": "checked"}, "job_not_found"),
    ]
    for path, body, code in calls:
        answer = shop.post(path.format(2**64), json=body, headers=admin_headers)
        assert_error(answer, 404, code)  # no row has that id; a bigint would overflow in the query: a 500 before


def test_an_invalid_list_filter_is_a_422(shop: TestClient, admin_headers: dict[str, str]) -> None:
    for path, params in INVALID_FILTERS:
        assert_error(shop.get(path, params=params, headers=admin_headers), 422, "validation_error")


def test_the_order_detail_shows_everything_about_the_order_side_by_side(
    shop: TestClient,
    fulfilled: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
    admin_headers: dict[str, str],
) -> None:
    order = fulfilled({"SHIRT": 1, "EBOOK": 1})
    order_id, intent = order["order_id"], order["payment"]["provider_payment_id"]
    refund = shop.post(
        f"/admin/v1/orders/{order_id}/refunds",
        json={"amount": 500, "reason": "scratched"},
        headers={**admin_headers, "Idempotency-Key": "refund-1"},
    )
    assert refund.status_code == 201, refund.text
    wired.until(lambda: state_of(order_id) == "partially_refunded", what="the partial refund")

    response = shop.get(f"/admin/v1/orders/{order_id}", headers=admin_headers)
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["reconciliation_findings"] == []
    assert detail["order"]["id"] == order_id and detail["order"]["state"] == "partially_refunded"
    assert sorted(line["sku"] for line in detail["pricing_snapshot"]["payload"]["lines"]) == ["EBOOK", "SHIRT"]
    assert detail["pricing_snapshot"]["total"] == order["total"]

    moves = [(e["from"], e["to"]) for e in detail["events"] if e["kind"] == "transition"]
    assert moves == [
        (None, "draft"),
        ("draft", "payment_pending"),
        ("payment_pending", "paid"),
        ("paid", "fulfillment_pending"),
        ("fulfillment_pending", "fulfilled"),
        ("fulfilled", "partially_refunded"),
    ]
    paid = next(e for e in detail["events"] if e["to"] == "paid")
    assert paid["actor"] == "provider" and paid["provider_event_id"].startswith("evt_") and paid["at"]

    [attempt] = detail["payment_attempts"]
    assert attempt["provider_payment_id"] == intent
    assert (attempt["status"], attempt["provider_status"]) == ("succeeded", "succeeded")
    assert attempt["amount"] == attempt["amount_received"] == order["total"]

    timeline = detail["webhook_events"]
    proof = next(event for event in timeline if event["event_id"] == paid["provider_event_id"])
    assert proof["type"].startswith("payment_intent.") and proof["order_id"] == order_id
    assert proof["status"] == "processed" and proof["delivery_count"] >= 1 and proof["processed_at"]
    assert "payment_intent.succeeded" in {event["type"] for event in timeline}
    assert any(event["type"].startswith(("charge.refund", "refund.")) for event in timeline)

    assert [(r["sku"], r["quantity"], r["status"]) for r in detail["reservations"]] == [("SHIRT", 1, "committed")]
    [entitlement] = detail["fulfillment"]["entitlements"]
    assert entitlement["sku"] == "EBOOK" and "grant_token" not in entitlement and "license_key" not in entitlement
    [shipment] = detail["fulfillment"]["shipment_requests"]
    assert shipment["lines"] == [{"sku": "SHIRT", "quantity": 1}]
    [refunded] = detail["refunds"]
    assert (refunded["amount"], refunded["status"], refunded["reason"]) == (500, "succeeded", "scratched")
    assert [r["purpose"] for r in detail["receipts"]] == ["order_paid", f"credit_note:{refunded['id']}"]
    [entry] = detail["audit_log"]
    assert (entry["action"], entry["actor"], entry["reason"]) == ("refund.request", "bootstrap-admin", "scratched")


def test_an_unknown_order_is_a_404(shop: TestClient, admin_headers: dict[str, str], act: Callable[..., Any]) -> None:
    assert_error(shop.get("/admin/v1/orders/ord_nope", headers=admin_headers), 404, "order_not_found")
    assert_error(act("ord_nope", "mark_for_review"), 404, "order_not_found")
    assert_error(act("ord_nope", "cancel"), 404, "order_not_found")


ADMIN_CALLS = [
    ("GET", "/admin/v1/orders"),
    ("GET", "/admin/v1/orders/ord_x"),
    ("POST", "/admin/v1/orders/ord_x/actions/retry_fulfillment"),
    ("POST", "/admin/v1/orders/ord_x/actions/resend_receipt"),
    ("POST", "/admin/v1/orders/ord_x/actions/mark_for_review"),
    ("POST", "/admin/v1/orders/ord_x/actions/clear_review"),
    ("POST", "/admin/v1/orders/ord_x/actions/cancel"),
    ("POST", "/admin/v1/orders/ord_x/actions/launch"),
    ("GET", "/admin/v1/webhook-events"),
    ("POST", "/admin/v1/webhook-events/1/replay"),
    ("GET", "/admin/v1/jobs"),
    ("POST", "/admin/v1/jobs/1/retry"),
    ("GET", "/admin/v1/stats"),
    ("GET", "/admin/v1/audit-log"),
]


def test_every_admin_call_needs_a_valid_api_key(client: TestClient) -> None:
    for method, path in ADMIN_CALLS:
        body = {"reason": "curious"} if method == "POST" else None
        assert_error(client.request(method, path, json=body), 401, "unauthenticated")
        wrong = {"Authorization": "Bearer not-a-key"}
        assert_error(client.request(method, path, json=body, headers=wrong), 401, "invalid_api_key")
