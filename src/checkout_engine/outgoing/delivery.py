"""Delivering events: one attempt per job, outside any transaction; the outcome and the attempt's log line are
written after it. A failure is tried again with exponential backoff and jitter, by the sweep that queues due
deliveries, for up to three days; an endpoint that has failed every delivery for a day is disabled. Redirects are
never followed, and the address is checked again before each attempt."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa
import structlog

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import outgoing_events, webhook_deliveries, webhook_delivery_attempts, webhook_endpoints
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs.worker import JobContext
from checkout_engine.observability.metrics import OUTGOING_DELIVERIES
from checkout_engine.outgoing import signing, targets
from checkout_engine.outgoing.emit import enqueue_delivery
from checkout_engine.outgoing.model import DISABLE_AFTER, RETRY_FOR, TIMEOUT_SECONDS, next_attempt_in
from checkout_engine.outgoing.targets import Target, TargetRefused

D, E, P = webhook_deliveries, outgoing_events, webhook_endpoints
SWEEP_BATCH = 500
MAX_ERROR_LENGTH = 500
log = structlog.get_logger(__name__)


def _due(conn: sa.Connection, delivery_id: int) -> sa.Row[Any] | None:
    query = (
        sa.select(D.c.id, D.c.status, D.c.next_attempt_at, E.c.type, E.c.body, P.c.url)
        .add_columns(P.c.secret, P.c.active)  # added apart: the row stays typed Row[Any]
        .select_from(D.join(E, E.c.id == D.c.event_id).join(P, P.c.id == D.c.endpoint_id))
        .where(D.c.id == delivery_id)
    )
    return conn.execute(query).first()


def _connect_url(target: Target) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL with the checked address in place of the name (so a second lookup cannot lead elsewhere), the Host
    header, and for https the name the certificate must carry."""
    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    netloc = f"{address}:{target.port}"
    host = target.host if target.port == targets.DEFAULT_PORTS[target.scheme] else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), {"Host": host}, extensions


def _send(url: str, secret: str, body: bytes, *, allow_private: bool) -> int:
    target = targets.resolve(url, allow_private=allow_private)
    address_url, headers, extensions = _connect_url(target)
    headers = {
        **headers,
        "Content-Type": "application/json",
        "User-Agent": "checkout-engine-webhooks",
        signing.HEADER: signing.signature(secret, int(time.time()), body),
    }
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        request = client.build_request("POST", address_url, content=body, headers=headers, extensions=extensions)
        return client.send(request).status_code


def deliver(context: JobContext, payload: dict[str, Any]) -> None:
    delivery_id = int(payload["delivery_id"])
    with context.engine.connect() as conn:
        row = _due(conn, delivery_id)
    if row is None or row.status != "pending" or not row.active:
        return  # delivered, dead, or its endpoint is disabled: re-enabling it queues what waits
    if row.next_attempt_at is not None and row.next_attempt_at > utcnow():
        return  # not due yet (the sweep queues it when it is)
    started = time.monotonic()
    code: int | None = None
    error: str | None = None
    try:
        code = _send(
            row.url, row.secret, row.body.encode(), allow_private=context.settings.outgoing_webhooks_allow_private
        )
        if not 200 <= code < 300:
            error = f"answered {code}"
    except TargetRefused as refused:
        error = refused.message
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as failure:  # the attempt failed, not the job
        error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR_LENGTH]
    latency_ms = int((time.monotonic() - started) * 1000)
    with UnitOfWork(context.engine) as uow:
        outcome = _record(
            uow.connection,
            delivery_id,
            code=code,
            error=error,
            latency_ms=latency_ms,
            retry_base=context.settings.outgoing_webhook_retry_base_seconds,
        )
        uow.commit()
    OUTGOING_DELIVERIES.labels(outcome=outcome).inc()
    log.info("webhook_delivery", delivery_id=delivery_id, event_type=row.type, status_code=code, outcome=outcome)


def _record(
    conn: sa.Connection, delivery_id: int, *, code: int | None, error: str | None, latency_ms: int, retry_base: float
) -> str:
    now = utcnow()
    conn.execute(
        webhook_delivery_attempts.insert().values(
            delivery_id=delivery_id, at=now, status_code=code, latency_ms=latency_ms, error=error
        )
    )
    delivery = conn.execute(sa.select(D).where(D.c.id == delivery_id).with_for_update()).one()
    last = {
        "attempts": delivery.attempts + 1,
        "last_status_code": code,
        "last_error": error,
        "last_latency_ms": latency_ms,
    }
    if error is None:
        conn.execute(
            D.update()
            .where(D.c.id == delivery_id)
            .values(status="delivered", delivered_at=now, next_attempt_at=None, **last)
        )
        conn.execute(P.update().where(P.c.id == delivery.endpoint_id).values(failing_since=None))
        return "delivered"
    if now - delivery.created_at >= RETRY_FOR:
        conn.execute(D.update().where(D.c.id == delivery_id).values(status="dead", next_attempt_at=None, **last))
        outcome = "dead"
    else:
        retry_at = now + next_attempt_in(delivery.attempts + 1, base_seconds=retry_base)
        conn.execute(D.update().where(D.c.id == delivery_id).values(next_attempt_at=retry_at, **last))
        outcome = "failed"
    _note_failure(conn, delivery.endpoint_id, now=now)
    return outcome


def _note_failure(conn: sa.Connection, endpoint_id: str, *, now: Any) -> None:
    endpoint = conn.execute(sa.select(P).where(P.c.id == endpoint_id).with_for_update()).one()
    since = endpoint.failing_since or now
    values: dict[str, Any] = {"failing_since": since}
    if endpoint.active and now - since >= DISABLE_AFTER:
        values.update(active=False, disabled_reason=f"every delivery failed since {since.isoformat()}", updated_at=now)
        log.warning("webhook_endpoint_disabled", endpoint_id=endpoint_id, failing_since=since.isoformat())
    conn.execute(P.update().where(P.c.id == endpoint_id).values(**values))


def queue_due(context: JobContext) -> int:
    """The sweep: every pending delivery whose time has come, to an active endpoint, gets its job."""
    with UnitOfWork(context.engine) as uow:
        conn = uow.connection
        due = conn.execute(
            sa.select(D.c.id)
            .select_from(D.join(P, P.c.id == D.c.endpoint_id))
            .where(D.c.status == "pending", D.c.next_attempt_at <= utcnow(), P.c.active)
            .order_by(D.c.next_attempt_at)
            .limit(SWEEP_BATCH)
        ).scalars()
        queued = sum(enqueue_delivery(conn, int(delivery_id)) for delivery_id in due)
        uow.commit()
    return queued
