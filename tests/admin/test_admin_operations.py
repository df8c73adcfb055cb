"""Operations: stored webhook events (listed with their delivery and processing story, replayed without doing
anything twice), the job outbox (dead jobs retried), the audit log, and stats that count what is stuck."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import entitlements, jobs, orders, receipts, shipment_requests, webhook_events
from checkout_engine.jobs import repository as job_queue
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation import repository as reconciliation
from checkout_engine.reconciliation.model import Action, Finding, Kind, Tally
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.http import assert_error
from support.pipeline import Pipeline

Place = Callable[..., dict[str, Any]]
Act = Callable[..., Any]


def get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def every_page(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = get(client, headers, path, **params, **({"cursor": cursor} if cursor else {}))
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def replay(client: TestClient, headers: dict[str, str], event: str | int, reason: str = "operator replay") -> Any:
    return client.post(f"/admin/v1/webhook-events/{event}/replay", json={"reason": reason}, headers=headers)


def retry(client: TestClient, headers: dict[str, str], job_id: int, reason: str = "provider is back") -> Any:
    return client.post(f"/admin/v1/jobs/{job_id}/retry", json={"reason": reason}, headers=headers)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for table in (shipment_requests, entitlements, receipts)
        }


def transitions(client: TestClient, headers: dict[str, str], order_id: str) -> list[tuple[str, str]]:
    events = get(client, headers, f"/admin/v1/orders/{order_id}")["events"]
    return [(e["from"], e["to"]) for e in events if e["kind"] == "transition"]


def payment_that_fails_to_process(
    place: Place, provider: PaymentProvider, wired: Pipeline, worker: Worker, engine: Engine, *, max_attempts: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A paid card payment whose webhook cannot be processed: the provider answers 500 to every look-up.
    Returns the order and the stored event's processing job row."""
    wired.sim.configure_webhooks(drop_rate=1.0)  # the test delivers by hand
    order = place({"SHIRT": 1, "EBOOK": 1})
    intent = order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_card_visa")
    wired.sim.add_fault("GET", "/v1/payment_intents/", "error_500", count=1000)
    event = next(e for e in wired.events_for(intent) if e["type"] == "payment_intent.succeeded")
    assert wired.deliver(event).status_code == 200
    with engine.begin() as conn:
        conn.execute(jobs.update().where(jobs.c.kind == PROCESS_WEBHOOK).values(max_attempts=max_attempts))
    worker.drain()
    with engine.connect() as conn:
        job = conn.execute(sa.select(jobs).where(jobs.c.kind == PROCESS_WEBHOOK)).mappings().one()
    return order, dict(job)


def test_webhook_events_show_their_story_and_are_filtered_by_order_and_status_in_pages(
    shop: TestClient, fulfilled: Place, admin_headers: dict[str, str]
) -> None:
    first, second = fulfilled()["order_id"], fulfilled()["order_id"]
    everything = every_page(shop, admin_headers, "/admin/v1/webhook-events", limit=2)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)  # newest first
    assert {e["order_id"] for e in everything} == {first, second}
    mine = every_page(shop, admin_headers, "/admin/v1/webhook-events", order_id=first, limit=1)
    assert mine and {e["order_id"] for e in mine} == {first}
    assert len(mine) == len([e for e in everything if e["order_id"] == first])
    item = next(e for e in mine if e["type"] == "payment_intent.succeeded")
    assert item["event_id"].startswith("evt_") and item["provider"] == "stripe"
    assert item["delivery_count"] >= 1 and item["last_error"] is None and item["received_at"]
    assert item["status"] in ("processed", "ignored") and item["status_reason"]
    processed = get(shop, admin_headers, "/admin/v1/webhook-events", status="processed")["data"]
    assert processed and {e["status"] for e in processed} == {"processed"}
    assert get(shop, admin_headers, "/admin/v1/webhook-events", status="failed")["data"] == []
    assert get(shop, admin_headers, "/admin/v1/webhook-events", order_id="ord_unknown")["data"] == []


def test_replaying_a_processed_webhook_runs_it_again_without_doing_anything_twice(
    shop: TestClient, engine: Engine, fulfilled: Place, worker: Worker, admin_headers: dict[str, str]
) -> None:
    order_id = fulfilled({"SHIRT": 1, "EBOOK": 1})["order_id"]
    before, moves = counts(engine), transitions(shop, admin_headers, order_id)
    events = get(shop, admin_headers, "/admin/v1/webhook-events", order_id=order_id)["data"]
    succeeded = next(e for e in events if e["type"] == "payment_intent.succeeded")

    response = replay(shop, admin_headers, succeeded["id"], reason="customer says no download link")
    assert response.status_code == 200, response.text
    assert response.json()["webhook_event"]["status"] == "received"
    assert response.json()["processing_job"]["status"] == "queued"
    assert worker.drain() >= 1
    again = next(
        e
        for e in get(shop, admin_headers, "/admin/v1/webhook-events", order_id=order_id)["data"]
        if e["id"] == succeeded["id"]
    )
    assert (again["status"], again["status_reason"]) == ("ignored", "already fulfilled")
    assert counts(engine) == before and transitions(shop, admin_headers, order_id) == moves
    [entry] = get(shop, admin_headers, "/admin/v1/audit-log", action="webhook_event.replay")["data"]
    assert entry["target"] == {"type": "webhook_event", "id": str(succeeded["id"])}
    assert entry["before"]["status"] == succeeded["status"] and entry["after"]["status"] == "received"
    assert entry["reason"] == "customer says no download link"


def test_a_webhook_whose_processing_died_is_replayed_by_its_provider_id_and_pays_the_order_once(
    shop: TestClient,
    engine: Engine,
    place: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    state_of: Callable[[str], str],
    admin_headers: dict[str, str],
) -> None:
    order, job = payment_that_fails_to_process(place, provider, wired, worker, engine, max_attempts=1)
    order_id = order["order_id"]
    assert job["status"] == "dead" and state_of(order_id) == "payment_pending"
    [failed] = get(shop, admin_headers, "/admin/v1/webhook-events", status="failed")["data"]
    assert failed["order_id"] == order_id and "ProviderUnavailable" in failed["last_error"]
    # Not attributed to the order yet, but found by its payment: the order's detail shows the failure.
    timeline = get(shop, admin_headers, f"/admin/v1/orders/{order_id}")["webhook_events"]
    assert [(e["event_id"], e["status"]) for e in timeline] == [(failed["event_id"], "failed")]
    assert get(shop, admin_headers, "/admin/v1/webhook-events", order_id=order_id)["data"] == [failed]
    stats = get(shop, admin_headers, "/admin/v1/stats")
    assert stats["webhook_events"]["failed"] == 1 and stats["jobs"]["dead"] == 1

    wired.sim.clear_faults()  # the provider is back
    response = replay(shop, admin_headers, failed["event_id"])
    assert response.status_code == 200, response.text
    assert response.json()["webhook_event"]["id"] == failed["id"]
    assert_error(retry(shop, admin_headers, job["id"]), 409, "job_already_queued")  # the replay queued it again
    worker.drain()
    assert state_of(order_id) == "fulfilled"
    assert counts(engine) == {"shipment_requests": 1, "entitlements": 1, "receipts": 1}
    assert [t for t in transitions(shop, admin_headers, order_id) if t[1] == "paid"] == [("payment_pending", "paid")]
    assert get(shop, admin_headers, "/admin/v1/stats")["webhook_events"]["failed"] == 0


def test_a_dead_job_is_retried_with_fresh_attempts_and_then_finishes_its_work(
    shop: TestClient,
    engine: Engine,
    place: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    state_of: Callable[[str], str],
    admin_headers: dict[str, str],
) -> None:
    order, job = payment_that_fails_to_process(place, provider, wired, worker, engine, max_attempts=2)
    assert (job["status"], job["attempts"]) == ("queued", 1)  # failed once, waiting for its next attempt
    [failing] = get(shop, admin_headers, "/admin/v1/jobs", status="failed")["data"]
    assert failing["id"] == job["id"] and failing["last_error"]
    assert_error(retry(shop, admin_headers, job["id"]), 409, "job_not_dead")
    with engine.begin() as conn:  # its backoff is over
        conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(run_at=utcnow()))
    worker.drain()
    [dead] = get(shop, admin_headers, "/admin/v1/jobs", status="dead")["data"]
    assert (dead["id"], dead["attempts"], dead["kind"]) == (job["id"], 2, PROCESS_WEBHOOK)
    assert "ProviderUnavailable" in dead["last_error"] and dead["finished_at"]

    wired.sim.clear_faults()
    response = retry(shop, admin_headers, job["id"], reason="provider outage over")
    assert response.status_code == 200, response.text
    retried = response.json()
    assert (retried["status"], retried["attempts"], retried["max_attempts"]) == ("queued", 0, 2)
    assert retried["finished_at"] is None and retried["last_error"] == dead["last_error"]
    worker.drain()
    assert state_of(order["order_id"]) == "fulfilled"
    [done] = [j for j in get(shop, admin_headers, "/admin/v1/jobs", status="done")["data"] if j["id"] == job["id"]]
    assert (done["attempts"], done["last_error"]) == (1, None)
    assert_error(retry(shop, admin_headers, job["id"]), 409, "job_not_dead")
    assert_error(retry(shop, admin_headers, 987654321), 404, "job_not_found")
    [entry] = get(shop, admin_headers, "/admin/v1/audit-log", action="job.retry")["data"]
    assert entry["target"] == {"type": "job", "id": str(job["id"])} and entry["reason"] == "provider outage over"
    assert (entry["before"]["status"], entry["after"]["status"], entry["after"]["attempts"]) == ("dead", "queued", 0)


def test_replaying_an_unknown_webhook_event_is_a_404(shop: TestClient, admin_headers: dict[str, str]) -> None:
    for reference in ("12345", "evt_nothing", "something-else", str(2**70)):
        assert_error(replay(shop, admin_headers, reference), 404, "webhook_event_not_found")


def test_stats_count_orders_by_state_stuck_and_under_review_failed_webhooks_and_the_job_backlog(
    shop: TestClient, engine: Engine, place: Place, act: Act, admin_headers: dict[str, str]
) -> None:
    stale, _fresh, flagged = (place()["order_id"] for _ in range(3))
    assert act(flagged, "mark_for_review").status_code == 200
    long_ago = utcnow() - timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(orders.update().where(orders.c.id == stale).values(updated_at=long_ago))
        job_queue.enqueue(conn, "report", {"n": 1})
        job_queue.enqueue(conn, "report", {"n": 2})
        conn.execute(jobs.update().where(jobs.c.payload["n"].as_integer() == 1).values(created_at=long_ago))
        conn.execute(jobs.update().where(jobs.c.payload["n"].as_integer() == 2).values(status="dead"))
        conn.execute(
            webhook_events.insert().values(
                provider="stripe",
                event_id="evt_broken",
                type="payment_intent.succeeded",
                payload={},
                received_at=long_ago,
                last_received_at=long_ago,
                delivery_count=3,
                status="failed",
                last_error="boom",
            )
        )

    stats = get(shop, admin_headers, "/admin/v1/stats")
    assert stats["orders"]["by_state"]["payment_pending"] == 3 and stats["orders"]["by_state"]["fulfilled"] == 0
    assert sum(stats["orders"]["by_state"].values()) == 3
    assert stats["orders"]["needs_review"] == 1
    assert stats["orders"]["stuck"] == {
        "payment_pending": 1,
        "payment_authorized": 0,
        "capture_failed": 0,
        "fulfillment_pending": 0,
        "older_than_seconds": 600,
    }
    assert stats["webhook_events"] == {"failed": 1}
    assert (stats["jobs"]["queued"], stats["jobs"]["running"], stats["jobs"]["dead"]) == (1, 0, 1)
    assert 2 * 3600 <= stats["jobs"]["oldest_queued_age_seconds"] < 2 * 3600 + 60
    assert stats["mismatches"] == {"open": 0, "by_kind": {}} and stats["last_reconciliation"] is None


def test_stats_and_the_order_detail_show_the_last_reconciliation_and_its_open_mismatches(
    shop: TestClient, engine: Engine, place: Place, admin_headers: dict[str, str]
) -> None:
    order_id = place()["order_id"]
    with engine.begin() as conn:
        run_id = reconciliation.start(conn, trigger="test", since=utcnow() - timedelta(days=1))
        mismatch = Finding(
            Kind.AMOUNT_MISMATCH,
            "pi_planted",
            Action.FLAGGED,
            order_id=order_id,
            believed={"amount": 100},
            provider_says={"amount": 90},
        )
        reconciliation.record(conn, run_id, mismatch)
        reconciliation.record(conn, run_id, Finding(Kind.WEBHOOK_GAP, "evt_missed", Action.INGESTED))
        reconciliation.finish(conn, run_id, Tally(findings=2, repairs=1), cursor=utcnow(), error=None)

    stats = get(shop, admin_headers, "/admin/v1/stats")
    assert stats["mismatches"] == {"open": 1, "by_kind": {"amount_mismatch": 1}}
    last = stats["last_reconciliation"]
    assert (last["id"], last["status"], last["findings"], last["repairs"]) == (run_id, "succeeded", 2, 1)
    assert last["finished_at"] is not None
    [finding] = get(shop, admin_headers, f"/admin/v1/orders/{order_id}")["reconciliation_findings"]
    assert (finding["kind"], finding["status"], finding["subject"]) == ("amount_mismatch", "open", "pi_planted")
    assert (finding["believed"], finding["provider_says"]) == ({"amount": 100}, {"amount": 90})


def test_the_audit_log_lists_every_admin_change_newest_first_in_pages_and_by_filter(
    shop: TestClient, place: Place, act: Act, admin_headers: dict[str, str]
) -> None:
    order_id = place()["order_id"]
    assert act(order_id, "mark_for_review", reason="checking the address").status_code == 200
    entries = every_page(shop, admin_headers, "/admin/v1/audit-log", limit=5)
    assert len(entries) == 13  # the twelve catalog changes of the seed, then the review
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    newest = entries[0]
    assert (newest["action"], newest["actor"], newest["role"]) == ("order.mark_for_review", "bootstrap-admin", "admin")
    assert newest["target"] == {"type": "order", "id": order_id} and newest["reason"] == "checking the address"
    stock = get(shop, admin_headers, "/admin/v1/audit-log", action="inventory.set")["data"]
    assert sorted(e["target"]["id"] for e in stock) == ["BOOK", "OLD", "SHIRT"]
    assert get(shop, admin_headers, "/admin/v1/audit-log", target_type="order", target_id=order_id)["data"] == [newest]
