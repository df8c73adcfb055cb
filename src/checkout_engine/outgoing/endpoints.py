"""The shop's endpoints, for the admin API: register or change one (audited; the engine's generated secret is shown
once), list them, read an endpoint's delivery log, and replay a delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.admin.queries import Page, id_page
from checkout_engine.admin.roles import Principal
from checkout_engine.audit import repository as audit
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import outgoing_events, webhook_deliveries, webhook_delivery_attempts, webhook_endpoints
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import NotFound
from checkout_engine.outgoing import signing, targets
from checkout_engine.outgoing.emit import enqueue_delivery
from checkout_engine.settings import Settings

D, E, P, A = webhook_deliveries, outgoing_events, webhook_endpoints, webhook_delivery_attempts
ATTEMPTS_SHOWN = 20


class EndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def endpoint_view(row: sa.Row[Any]) -> dict[str, Any]:
    """Never the secret itself: its last characters, to tell which one is set."""
    fields = row._mapping
    return {
        "id": fields["id"],
        "object": "webhook_endpoint",
        "url": fields["url"],
        "events": list(fields["events"]),
        "active": fields["active"],
        "disabled_reason": fields["disabled_reason"],
        "secret_hint": f"…{fields['secret'][-4:]}",
        "failing_since": _iso(fields["failing_since"]),
        "created_at": _iso(fields["created_at"]),
        "updated_at": _iso(fields["updated_at"]),
    }


def upsert(
    uow: UnitOfWork,
    principal: Principal,
    endpoint_id: str,
    *,
    url: str,
    events: list[str],
    secret: str | None,
    active: bool,
    reason: str,
    settings: Settings,
) -> dict[str, Any]:
    """Create or change an endpoint; re-enabling one clears why it was disabled (its waiting deliveries are queued
    again by the sweep)."""
    targets.resolve(url, allow_private=settings.outgoing_webhooks_allow_private)
    conn = uow.connection
    before = conn.execute(sa.select(P).where(P.c.id == endpoint_id).with_for_update()).first()
    now = utcnow()
    generated = secret is None and before is None
    values: dict[str, Any] = {"url": url, "events": sorted(set(events)), "active": active, "updated_at": now}
    if secret is not None or generated:
        values["secret"] = secret if secret is not None else signing.new_secret()
    if active:
        values.update(disabled_reason=None, failing_since=None)
    if before is None:
        conn.execute(P.insert().values({"disabled_reason": None, **values, "id": endpoint_id, "created_at": now}))
    else:
        conn.execute(P.update().where(P.c.id == endpoint_id).values(**values))
    after = conn.execute(sa.select(P).where(P.c.id == endpoint_id)).one()
    audit.record(
        conn,
        principal=principal,
        action="webhook_endpoint.upsert",
        target=("webhook_endpoint", endpoint_id),
        reason=reason,
        before=endpoint_view(before) if before is not None else None,
        after={**endpoint_view(after), "secret_changed": "secret" in values},
    )
    view = endpoint_view(after)
    if generated:
        view["secret"] = values["secret"]  # shown this once; only its last characters afterwards
    return view


def health(conn: sa.Connection) -> tuple[datetime | None, int]:
    """When the oldest delivery still pending to an active endpoint was made, and how many endpoints were disabled
    for failing."""
    oldest = conn.execute(
        sa.select(sa.func.min(D.c.created_at))
        .select_from(D.join(P, P.c.id == D.c.endpoint_id))
        .where(D.c.status == "pending", P.c.active)
    ).scalar()
    off = conn.execute(
        sa.select(sa.func.count()).select_from(P).where(sa.not_(P.c.active), P.c.disabled_reason.is_not(None))
    ).scalar_one()
    return oldest, int(off)


def list_endpoints(conn: sa.Connection) -> list[dict[str, Any]]:
    return [endpoint_view(row) for row in conn.execute(sa.select(P).order_by(P.c.id))]


def _attempts(conn: sa.Connection, delivery_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(A).where(A.c.delivery_id == delivery_id).order_by(A.c.id.desc()).limit(ATTEMPTS_SHOWN)
    )
    return [
        {"at": _iso(row.at), "status_code": row.status_code, "latency_ms": row.latency_ms, "error": row.error}
        for row in rows
    ]


def deliveries(conn: sa.Connection, endpoint_id: str, *, status: str | None, limit: int, cursor: str | None) -> Page:
    if conn.execute(sa.select(P.c.id).where(P.c.id == endpoint_id)).first() is None:
        raise EndpointNotFound("No such webhook endpoint.", details={"id": endpoint_id})
    query = (
        sa.select(D, E.c.type, E.c.sequence, E.c.order_id)
        .select_from(D.join(E, E.c.id == D.c.event_id))
        .where(D.c.endpoint_id == endpoint_id)
    )
    if status is not None:
        query = query.where(D.c.status == status)

    def view(row: sa.RowMapping) -> dict[str, Any]:
        return {
            "id": row["id"],
            "object": "webhook_delivery",
            "endpoint_id": row["endpoint_id"],
            "event_id": row["event_id"],
            "type": row["type"],
            "order_id": row["order_id"],
            "sequence": row["sequence"],
            "status": row["status"],
            "attempts": row["attempts"],
            "last_status_code": row["last_status_code"],
            "last_error": row["last_error"],
            "last_latency_ms": row["last_latency_ms"],
            "next_attempt_at": _iso(row["next_attempt_at"]),
            "created_at": _iso(row["created_at"]),
            "delivered_at": _iso(row["delivered_at"]),
            "attempt_log": _attempts(conn, row["id"]),
        }

    return id_page(conn, query, D, kind="webhook_deliveries", limit=limit, cursor=cursor, view=view)


def replay(uow: UnitOfWork, principal: Principal, delivery_id: int, *, reason: str) -> dict[str, Any]:
    """Send a delivery again now, with the same event id and body (a receiver deduplicates by the id)."""
    conn = uow.connection
    row = conn.execute(sa.select(D).where(D.c.id == delivery_id).with_for_update()).first()
    if row is None:
        raise DeliveryNotFound("No such webhook delivery.", details={"id": delivery_id})
    conn.execute(D.update().where(D.c.id == delivery_id).values(status="pending", next_attempt_at=utcnow()))
    queued = enqueue_delivery(conn, delivery_id)
    audit.record(
        conn,
        principal=principal,
        action="webhook_delivery.replay",
        target=("webhook_delivery", str(delivery_id)),
        reason=reason,
        before={"status": row.status, "attempts": row.attempts},
        after={"status": "pending", "job_enqueued": queued},
    )
    return {"id": delivery_id, "object": "webhook_delivery", "status": "pending", "event_id": row.event_id}
