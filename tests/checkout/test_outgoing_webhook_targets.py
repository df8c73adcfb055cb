"""Outgoing webhook endpoints: never an open proxy. Only http and https, and no private, loopback,
link-local or metadata address, by name or by number, unless private targets are allowed; the generated secret is
shown once; every change is audited. A failing endpoint is retried with backoff, given up on after three days and
disabled after a day of failures."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import audit_log, webhook_deliveries, webhook_endpoints
from checkout_engine.jobs.worker import Worker
from checkout_engine.outgoing import targets
from checkout_engine.outgoing.targets import TargetRefused
from checkout_engine.settings import Settings
from support.http import assert_error
from support.provider_sim_process import free_port

REFUSED = [
    "ftp://example.com/hooks",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http://127.0.0.1:8000/hooks",
    "http://localhost/hooks",
    "http://10.1.2.3/hooks",
    "http://192.168.0.10/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hooks",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0/",
    "http://user:pass@192.0.2.1/hooks",
    "http:///no-host",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_target_that_is_not_a_public_http_address_is_refused(
    shop: TestClient, admin_headers: dict[str, str], engine: Engine, url: str
) -> None:
    answer = shop.put(
        "/admin/v1/webhook-endpoints/warehouse",
        json={"url": url, "events": ["order.paid"], "reason": "try"},
        headers=admin_headers,
    )
    assert_error(answer, 422, "webhook_url_refused")
    assert shop.get("/admin/v1/webhook-endpoints", headers=admin_headers).json()["data"] == []
    with engine.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action)).scalars().all()
    assert "webhook_endpoint.upsert" not in actions


def test_private_targets_are_allowed_only_when_configured() -> None:
    with pytest.raises(TargetRefused):
        targets.resolve("http://127.0.0.1:9/hooks", allow_private=False)
    assert targets.resolve("http://127.0.0.1:9/hooks", allow_private=True).address == "127.0.0.1"
    with pytest.raises(TargetRefused):
        targets.resolve("ftp://127.0.0.1/", allow_private=True)  # never another scheme


def test_an_endpoint_is_registered_with_a_secret_shown_once_and_changed_with_an_audit_entry(
    shop: TestClient, admin_headers: dict[str, str], engine: Engine, settings: Settings
) -> None:
    settings.outgoing_webhooks_allow_private = True
    path = "/admin/v1/webhook-endpoints/erp"
    body = {"url": "http://127.0.0.1:9/hooks", "events": ["order.refunded", "order.paid"], "reason": "erp"}
    made = shop.put(path, json=body, headers=admin_headers).json()
    assert made["secret"].startswith("whsec_") and made["events"] == ["order.paid", "order.refunded"]
    changed = shop.put(path, json={**body, "active": False, "reason": "erp is down"}, headers=admin_headers).json()
    assert "secret" not in changed and changed["active"] is False and changed["secret_hint"] == made["secret_hint"]
    own = shop.put(path, json={**body, "secret": "s" * 24, "reason": "our own secret"}, headers=admin_headers).json()
    assert "secret" not in own and own["secret_hint"] == "…ssss" and own["active"] is True
    assert_error(
        shop.put(path, json={**body, "events": ["order.exploded"]}, headers=admin_headers), 422, "validation_error"
    )
    with engine.connect() as conn:
        entries = conn.execute(
            sa.select(audit_log.c.action, audit_log.c.after)
            .where(audit_log.c.target_id == "erp")
            .order_by(audit_log.c.id)
        ).all()
    assert [entry.action for entry in entries] == ["webhook_endpoint.upsert"] * 3
    assert all("whsec_" not in str(entry.after) and "ssss" * 6 not in str(entry.after) for entry in entries)
    assert_error(
        shop.get("/admin/v1/webhook-endpoints/nope/deliveries", headers=admin_headers),
        404,
        "webhook_endpoint_not_found",
    )


def test_a_failing_endpoint_is_retried_with_backoff_then_given_up_on_and_disabled(
    shop: TestClient,
    admin_headers: dict[str, str],
    engine: Engine,
    settings: Settings,
    fulfilled: Callable[..., dict[str, Any]],
    worker: Worker,
) -> None:
    settings.outgoing_webhooks_allow_private = True
    closed = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens: every attempt is refused
    body = {"url": closed, "events": ["order.paid"], "reason": "erp"}
    assert shop.put("/admin/v1/webhook-endpoints/erp", json=body, headers=admin_headers).status_code == 200
    fulfilled()
    [delivery] = shop.get("/admin/v1/webhook-endpoints/erp/deliveries", headers=admin_headers).json()["data"]
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
    assert delivery["last_error"].startswith("ConnectError") and delivery["next_attempt_at"] is not None
    waited = datetime.fromisoformat(delivery["next_attempt_at"]) - datetime.fromisoformat(delivery["created_at"])
    assert timedelta(seconds=4) < waited < timedelta(seconds=12)  # about the 10 s base, with jitter

    long_ago = utcnow() - timedelta(days=4)
    with engine.begin() as conn:  # three days of failures later
        conn.execute(webhook_deliveries.update().values(created_at=long_ago, next_attempt_at=utcnow()))
        conn.execute(webhook_endpoints.update().values(failing_since=long_ago))
    assert deliver_due(worker) >= 1
    [dead] = shop.get("/admin/v1/webhook-endpoints/erp/deliveries", headers=admin_headers).json()["data"]
    assert (dead["status"], dead["attempts"], dead["next_attempt_at"]) == ("dead", 2, None)
    [endpoint] = shop.get("/admin/v1/webhook-endpoints", headers=admin_headers).json()["data"]
    assert endpoint["active"] is False and endpoint["disabled_reason"].startswith("every delivery failed since")
    assert "checkout_webhook_endpoints_disabled 1.0" in shop.get("/metrics").text
    assert 'checkout_outgoing_webhook_deliveries_total{outcome="dead"}' in shop.get("/metrics").text


def deliver_due(worker: Worker) -> int:
    from checkout_engine.outgoing.delivery import queue_due

    queued = queue_due(worker.context)
    worker.drain()
    return queued


def test_signatures_verify_only_with_the_secret_and_a_fresh_timestamp() -> None:
    from checkout_engine.outgoing import signing

    header = signing.signature("whsec_a", 1_000, b'{"id":"evt_1"}')
    assert signing.verify("whsec_a", header, b'{"id":"evt_1"}', now=1_100)
    assert not signing.verify("whsec_b", header, b'{"id":"evt_1"}', now=1_100)
    assert not signing.verify("whsec_a", header, b'{"id":"evt_2"}', now=1_100)
    assert not signing.verify("whsec_a", header, b'{"id":"evt_1"}', now=1_000 + 301)
