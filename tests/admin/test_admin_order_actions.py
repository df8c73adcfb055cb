"""Order actions: each changes what it says (and nothing else), writes its audit entry, and refuses an order in
the wrong state with a 409 or a request without a reason with a 422. Cancelling releases stock and coupon and
releases the money the provider holds for the order."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.admin import keys
from checkout_engine.admin.roles import Role
from checkout_engine.checkout import service
from checkout_engine.checkout.model import ORDER_CREATED
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import idempotency_keys, jobs, orders, shipment_requests
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments.model import ProviderError
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.checkout import checkout, intents_for, ready_cart
from support.crash import DieAt, ProcessDied
from support.http import assert_error
from support.pipeline import Pipeline

Place = Callable[..., dict[str, Any]]
Act = Callable[..., Any]


def detail(client: TestClient, headers: dict[str, str], order_id: str) -> dict[str, Any]:
    response = client.get(f"/admin/v1/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def audit_actions(client: TestClient, headers: dict[str, str], order_id: str) -> list[dict[str, Any]]:
    params = {"target_type": "order", "target_id": order_id}
    entries: list[dict[str, Any]] = client.get("/admin/v1/audit-log", params=params, headers=headers).json()["data"]
    return list(reversed(entries))  # oldest first


def stock(client: TestClient, headers: dict[str, str], sku: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/admin/v1/inventory/{sku}", headers=headers).json()
    return body


def deliver(wired: Pipeline, intent: str, event_type: str) -> None:
    event = next(e for e in wired.events_for(intent) if e["type"] == event_type)
    assert wired.deliver(event).status_code == 200


def paid_not_fulfilled(place: Place, provider: PaymentProvider, wired: Pipeline, webhook_worker: Worker) -> str:
    """An order made paid by its webhook, with its fulfilment job still queued."""
    wired.sim.configure_webhooks(drop_rate=1.0)  # the test delivers by hand
    order = place()
    intent = order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_card_visa")
    deliver(wired, intent, "payment_intent.succeeded")
    webhook_worker.drain()
    return str(order["order_id"])


def test_marking_and_clearing_review_flags_the_order_records_its_history_and_audits_both(
    shop: TestClient, place: Place, act: Act, admin_headers: dict[str, str]
) -> None:
    order_id = place()["order_id"]
    marked = act(order_id, "mark_for_review", reason="customer called twice")
    assert marked.status_code == 200, marked.text
    assert marked.json()["order"]["needs_review"] is True
    assert marked.json()["order"]["review_reason"] == "customer called twice"
    assert_error(act(order_id, "mark_for_review"), 409, "already_under_review")
    cleared = act(order_id, "clear_review", reason="spoke to the customer")
    assert cleared.status_code == 200 and cleared.json()["order"]["needs_review"] is False
    assert_error(act(order_id, "clear_review"), 409, "not_under_review")

    view = detail(shop, admin_headers, order_id)
    flags = [(e["kind"], e["reason"], e["actor"]) for e in view["events"] if e["kind"] != "transition"]
    assert flags == [
        ("review_flagged", "customer called twice", "bootstrap-admin"),
        ("review_cleared", "spoke to the customer", "bootstrap-admin"),
    ]
    entries = audit_actions(shop, admin_headers, order_id)
    assert [(e["action"], e["actor"], e["role"], e["reason"]) for e in entries] == [
        ("order.mark_for_review", "bootstrap-admin", "admin", "customer called twice"),
        ("order.clear_review", "bootstrap-admin", "admin", "spoke to the customer"),
    ]
    assert entries[0]["target"] == {"type": "order", "id": order_id}
    assert entries[0]["before"]["needs_review"] is False and entries[0]["after"]["needs_review"] is True
    assert view["audit_log"] == entries


def test_an_action_without_a_proper_reason_is_a_422_and_changes_nothing(
    shop: TestClient, place: Place, act: Act, admin_headers: dict[str, str]
) -> None:
    order_id = place()["order_id"]
    for action in ("mark_for_review", "cancel", "retry_fulfillment", "resend_receipt", "clear_review"):
        assert_error(act(order_id, action, reason=None), 422, "validation_error")
        assert_error(act(order_id, action, reason=""), 422, "validation_error")
        assert_error(act(order_id, action, reason="x" * 501), 422, "validation_error")
        assert_error(act(order_id, action, reason="fine", force=True), 422, "validation_error")
    assert act(order_id, "mark_for_review", reason="x" * 500).status_code == 200  # the longest reason allowed
    view = detail(shop, admin_headers, order_id)
    assert view["order"]["state"] == "payment_pending"
    assert [e["action"] for e in view["audit_log"]] == ["order.mark_for_review"]


def test_an_unknown_action_is_a_404_in_the_contract_shape(place: Place, act: Act) -> None:
    error = assert_error(act(place()["order_id"], "refund_everything"), 404, "unknown_action")
    assert error["details"]["actions"] == [
        "retry_fulfillment",
        "resend_receipt",
        "mark_for_review",
        "clear_review",
        "cancel",
        "cancel_with_refund",
        "close",
    ]


def test_retry_fulfillment_fulfils_a_paid_order_once_its_review_is_cleared(
    shop: TestClient,
    engine: Engine,
    place: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    webhook_worker: Worker,
    act: Act,
    state_of: Callable[[str], str],
    admin_headers: dict[str, str],
) -> None:
    order_id = paid_not_fulfilled(place, provider, wired, webhook_worker)
    assert state_of(order_id) == "paid"
    assert act(order_id, "mark_for_review", reason="large order").status_code == 200
    worker.drain()  # fulfilment skips an order under review
    assert state_of(order_id) == "paid"
    assert_error(act(order_id, "retry_fulfillment"), 409, "order_under_review")

    cleared = act(order_id, "clear_review", reason="checked")
    assert cleared.status_code == 200
    queued = cleared.json()["fulfillment_job"]  # clearing queues what the review held back
    assert queued["status"] == "queued"
    first = act(order_id, "retry_fulfillment", reason="review done")
    assert first.status_code == 200, first.text
    second = act(order_id, "retry_fulfillment", reason="impatient")
    for retried in (first, second):  # the queued job is reused, not doubled
        assert retried.json()["job_enqueued"] is False
        assert retried.json()["fulfillment_job"]["id"] == queued["id"]
    worker.drain()
    assert state_of(order_id) == "fulfilled"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar_one() == 1
    assert_error(act(order_id, "retry_fulfillment"), 409, "order_not_fulfillable")
    retries = [e for e in audit_actions(shop, admin_headers, order_id) if e["action"] == "order.retry_fulfillment"]
    assert [e["reason"] for e in retries] == ["review done", "impatient"]
    assert retries[0]["after"]["job_enqueued"] is False


def test_retry_fulfillment_refuses_an_unpaid_order(place: Place, act: Act) -> None:
    error = assert_error(act(place()["order_id"], "retry_fulfillment"), 409, "order_not_fulfillable")
    assert error["details"]["state"] == "payment_pending"


def test_resend_receipt_sends_the_paid_receipt_again_and_refuses_an_unpaid_order(
    shop: TestClient,
    fulfilled: Place,
    place: Place,
    worker: Worker,
    act: Act,
    admin_headers: dict[str, str],
) -> None:
    order_id = fulfilled()["order_id"]
    first = act(order_id, "resend_receipt", reason="customer lost the email")
    assert first.status_code == 200, first.text
    assert first.json()["receipt"]["purpose"] == "resend:1"
    assert act(order_id, "resend_receipt", reason="and again").json()["receipt"]["purpose"] == "resend:2"
    worker.drain()
    receipts = detail(shop, admin_headers, order_id)["receipts"]
    assert [(r["purpose"], r["status"]) for r in receipts] == [
        ("order_paid", "sent"),
        ("resend:1", "sent"),
        ("resend:2", "sent"),
    ]
    assert receipts[1]["payload"] == receipts[0]["payload"]
    assert [e["action"] for e in audit_actions(shop, admin_headers, order_id)] == ["order.resend_receipt"] * 2
    assert_error(act(place()["order_id"], "resend_receipt"), 409, "no_receipt")


def test_cancelling_an_unpaid_order_releases_its_stock_and_coupon_and_voids_its_intent(
    shop: TestClient,
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    act: Act,
    state_of: Callable[[str], str],
    admin_headers: dict[str, str],
) -> None:
    cart_id = ready_cart(shop, {"SHIRT": 3})
    assert shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"}).status_code == 200
    order = checkout(shop, cart_id, "cancel-me").json()
    order_id, intent = order["order_id"], order["payment"]["provider_payment_id"]
    assert stock(shop, admin_headers, "SHIRT")["reserved"] == 3
    assert detail(shop, admin_headers, order_id)["coupon_redemption"]["status"] == "reserved"

    response = act(order_id, "cancel", reason="fraud suspected")
    assert response.status_code == 200, response.text
    attempt_id = order["payment"]["id"]
    assert response.json()["order"]["state"] == "cancelled"
    assert response.json()["voided_payment_attempts"] == [attempt_id]
    assert stock(shop, admin_headers, "SHIRT") == {"sku": "SHIRT", "on_hand": 10, "reserved": 0, "available": 10}
    view = detail(shop, admin_headers, order_id)
    assert view["coupon_redemption"]["status"] == "released"
    assert {r["status"] for r in view["reservations"]} == {"released"}
    cancel_event = view["events"][-1]
    assert (cancel_event["from"], cancel_event["to"]) == ("payment_pending", "cancelled")
    assert (cancel_event["actor"], cancel_event["reason"]) == ("bootstrap-admin", "fraud suspected")
    [entry] = view["audit_log"]
    assert (entry["action"], entry["reason"]) == ("order.cancel", "fraud suspected")
    assert entry["before"]["state"] == "payment_pending" and entry["after"]["state"] == "cancelled"

    worker.drain()  # the void job
    at_provider = wired.sim.stripe_client().v1.payment_intents.retrieve(intent)
    assert at_provider.status == "canceled"
    with pytest.raises(ProviderError):  # the customer's card can no longer be charged on it
        provider.confirm(intent, payment_method="pm_card_visa")
    assert wired.sim.stripe_client().v1.payment_intents.retrieve(intent).status == "canceled"
    wired.pump()  # the provider's cancellation event changes nothing
    assert state_of(order_id) == "cancelled"
    assert_error(act(order_id, "cancel"), 409, "order_not_cancellable")


def test_cancelling_an_authorized_order_withdraws_its_capture_and_releases_the_authorization(
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    place: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    webhook_worker: Worker,
    act: Act,
    state_of: Callable[[str], str],
    admin_headers: dict[str, str],
) -> None:
    settings.capture_method = "manual"
    wired.sim.configure_webhooks(drop_rate=1.0)
    order = place()
    order_id, intent = order["order_id"], order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_card_visa")
    deliver(wired, intent, "payment_intent.amount_capturable_updated")
    webhook_worker.drain()
    assert state_of(order_id) == "payment_authorized"
    with engine.connect() as conn:
        capture_job = conn.execute(sa.select(jobs.c.id).where(jobs.c.kind == "capture_payment")).scalar_one()

    response = act(order_id, "cancel", reason="customer changed their mind")
    assert response.status_code == 200, response.text
    assert response.json()["withdrawn_capture_jobs"] == [capture_job]
    worker.drain()
    at_provider = wired.sim.stripe_client().v1.payment_intents.retrieve(intent)
    assert (at_provider.status, at_provider.amount_received) == ("canceled", 0)
    assert state_of(order_id) == "cancelled"
    assert stock(shop, admin_headers, "SHIRT")["reserved"] == 0
    with engine.connect() as conn:
        job = conn.execute(sa.select(jobs.c.status, jobs.c.attempts).where(jobs.c.id == capture_job)).one()
    assert tuple(job) == ("done", 0)  # never ran


def test_cancel_is_refused_for_a_delivered_order_and_while_a_payment_is_processing(
    shop: TestClient,
    fulfilled: Place,
    place: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    act: Act,
    state_of: Callable[[str], str],
    admin_headers: dict[str, str],
) -> None:
    paid = fulfilled()["order_id"]
    error = assert_error(act(paid, "cancel"), 409, "order_not_cancellable")
    assert error["details"]["state"] == "fulfilled"

    wired.sim.configure_settlement(payment_delay_ms=None)  # stays processing until settled by hand
    order = place()
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_delayed_succeeds")

    def processing() -> bool:
        attempts = detail(shop, admin_headers, order["order_id"])["payment_attempts"]
        return bool(attempts[-1]["status"] == "processing")

    wired.until(processing, what="the processing payment to be recorded")
    assert_error(act(order["order_id"], "cancel"), 409, "payment_in_progress")
    assert state_of(order["order_id"]) == "payment_pending"
    assert audit_actions(shop, admin_headers, order["order_id"]) == []


def test_cancelling_a_draft_order_stops_its_half_done_checkout_from_creating_a_payment(
    shop: TestClient,
    engine: Engine,
    provider: PaymentProvider,
    settings: Settings,
    wired: Pipeline,
    act: Act,
    admin_headers: dict[str, str],
) -> None:
    cart_id = ready_cart(shop)
    with contextlib.suppress(ProcessDied):  # the checkout's process died before it created the intent
        service.checkout(
            engine, provider, settings, cart_id=cart_id, key="k", expected_total=None, hooks=DieAt(ORDER_CREATED)
        )
    with engine.connect() as conn:
        order_id = conn.execute(sa.select(orders.c.id).where(orders.c.state == "draft")).scalar_one()

    response = act(order_id, "cancel", reason="duplicate order")
    assert response.status_code == 200, response.text
    assert response.json()["voided_payment_attempts"] == []
    assert stock(shop, admin_headers, "SHIRT")["reserved"] == 0
    past = utcnow() - timedelta(hours=1)
    with engine.begin() as conn:  # the dead request's lock ran out: a retry may resume it
        conn.execute(sa.update(idempotency_keys).values(locked_at=past, last_run_at=past))
    assert_error(checkout(shop, cart_id, "k"), 409, "checkout_expired")
    assert intents_for(wired.sim, order_id) == []
    assert detail(shop, admin_headers, order_id)["payment_attempts"][0]["status"] == "canceled"
    again = checkout(shop, cart_id, "a new try")  # the customer has the cart back, as after any failed checkout
    assert again.status_code == 201, again.text


def test_a_viewer_only_reads_support_acts_and_only_an_admin_cancels(
    shop: TestClient, engine: Engine, place: Place, admin_headers: dict[str, str]
) -> None:
    order_id = place()["order_id"]
    with engine.begin() as conn:
        headers = {
            role: {"Authorization": f"Bearer {keys.create(conn, name=f'{role.label}-1', role=role)[1]}"}
            for role in (Role.VIEWER, Role.SUPPORT, Role.ADMIN)
        }

    def act_as(role: Role, action: str, reason: str = "role check") -> Any:
        path = f"/admin/v1/orders/{order_id}/actions/{action}"
        return shop.post(path, json={"reason": reason}, headers=headers[role])

    for path in ("/admin/v1/orders", f"/admin/v1/orders/{order_id}", "/admin/v1/jobs", "/admin/v1/stats"):
        assert shop.get(path, headers=headers[Role.VIEWER]).status_code == 200, path
    for path in ("/admin/v1/webhook-events/1/replay", "/admin/v1/jobs/1/retry"):
        assert_error(shop.post(path, json={"reason": "r"}, headers=headers[Role.VIEWER]), 403, "forbidden")
    error = assert_error(act_as(Role.VIEWER, "mark_for_review"), 403, "forbidden")
    assert error["details"] == {"required_role": "support", "your_role": "viewer"}

    assert act_as(Role.SUPPORT, "mark_for_review", reason="looks odd").status_code == 200
    error = assert_error(act_as(Role.SUPPORT, "cancel"), 403, "forbidden")
    assert error["details"] == {"required_role": "admin", "your_role": "support"}
    assert act_as(Role.ADMIN, "cancel", reason="confirmed fraud").status_code == 200

    entries = audit_actions(shop, admin_headers, order_id)
    assert [(e["action"], e["actor"], e["role"]) for e in entries] == [
        ("order.mark_for_review", "key:support-1", "support"),
        ("order.cancel", "key:admin-1", "admin"),
    ]
