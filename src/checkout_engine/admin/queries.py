"""Read-only views for operators: orders (a filtered list, and everything about one order side by side), stored
webhook events, the job outbox, the audit log and the numbers that say whether anything is stuck.

Lists are newest first and paged by an opaque keyset cursor (the sort key of the last item shown), so a page
never skips or repeats a row when new rows arrive meanwhile.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from checkout_engine.approvals import repository as approvals
from checkout_engine.approvals.views import approval_view
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import (
    audit_log,
    coupon_redemptions,
    entitlements,
    inventory_reservations,
    jobs,
    order_events,
    orders,
    payment_attempts,
    pricing_snapshots,
    receipts,
    reconciliation_findings,
    reconciliation_runs,
    refunds,
    shipment_requests,
    webhook_events,
)
from checkout_engine.errors import BadRequest, NotFound
from checkout_engine.fulfillment import service as fulfillment
from checkout_engine.jobs.model import JobStatus
from checkout_engine.orders.model import STUCK_IF_OLD, Order, OrderState
from checkout_engine.payments import provider_keys
from checkout_engine.refunds import service as refund_service

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_ROW_ID = 2**63 - 1  # BIGINT: a larger id from a forged cursor would make the database raise
# Unpaid or unfulfilled orders that should have moved on by now; stats count those unchanged for too long.
STUCK_STATES = STUCK_IF_OLD

W = webhook_events
Page = dict[str, Any]


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


# -- Cursors --------------------------------------------------------------------------------------------------


def encode_cursor(kind: str, key: list[Any]) -> str:
    raw = json.dumps({"k": kind, "v": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def invalid_cursor() -> InvalidCursor:
    return InvalidCursor("This cursor is not valid for this list; use the next_cursor of a previous page.")


def decode_cursor(kind: str, cursor: str) -> list[Any]:
    """The sort key inside ``cursor``; a cursor of another list, or anything not made by us, is refused."""
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")))
    except ValueError:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        raise invalid_cursor() from None
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("v"), list):
        raise invalid_cursor()
    key: list[Any] = data["v"]
    return key


def _row_id_key(kind: str, cursor: str) -> int:
    key = decode_cursor(kind, cursor)
    if len(key) != 1 or type(key[0]) is not int or not 0 < key[0] <= MAX_ROW_ID:
        raise invalid_cursor()
    return key[0]


def _created_key(kind: str, cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) key of a list sorted newest first by creation time, ids breaking ties."""
    key = decode_cursor(kind, cursor)
    if len(key) != 2 or not all(isinstance(part, str) for part in key):
        raise invalid_cursor()
    try:
        created_at = datetime.fromisoformat(key[0])
    except ValueError:
        raise invalid_cursor() from None
    if created_at.tzinfo is None:
        raise invalid_cursor()
    return created_at, key[1]


def _page(
    rows: Sequence[sa.RowMapping],
    limit: int,
    view: Callable[[sa.RowMapping], dict[str, Any]],
    cursor_of: Callable[[sa.RowMapping], str],
) -> Page:
    """``rows`` were fetched with ``limit + 1``: the extra row only tells that there is a next page."""
    shown = rows[:limit]
    more = len(rows) > limit
    return {"data": [view(row) for row in shown], "next_cursor": cursor_of(shown[-1]) if more and shown else None}


def id_page(
    conn: sa.Connection,
    query: sa.Select[Any],
    table: sa.Table,
    *,
    kind: str,
    limit: int,
    cursor: str | None,
    view: Callable[[sa.RowMapping], dict[str, Any]],
) -> Page:
    """Newest first by the table's integer id."""
    if cursor is not None:
        query = query.where(table.c.id < _row_id_key(kind, cursor))
    rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit + 1)).mappings().all()
    return _page(rows, limit, view, lambda row: encode_cursor(kind, [row["id"]]))


def created_page(
    conn: sa.Connection,
    query: sa.Select[Any],
    table: sa.Table,
    *,
    kind: str,
    limit: int,
    cursor: str | None,
    view: Callable[[sa.RowMapping], dict[str, Any]],
) -> Page:
    """Newest first by (created_at, id), for tables whose ids are random: the timestamp orders, the id breaks ties."""
    if cursor is not None:
        created_at, last_id = _created_key(kind, cursor)
        query = query.where(
            sa.or_(table.c.created_at < created_at, sa.and_(table.c.created_at == created_at, table.c.id < last_id))
        )
    query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit + 1)
    rows = conn.execute(query).mappings().all()
    return _page(rows, limit, view, lambda row: encode_cursor(kind, [row["created_at"].isoformat(), row["id"]]))


# -- Views ----------------------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _as_utc(value: datetime) -> datetime:
    """Query parameters without a zone are read as UTC (the database refuses naive timestamps)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


CART_REF_LENGTH = 12  # "cart_" and 7 of its 32 random characters


def order_view(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "object": "order",
        "state": order.state.value,
        "needs_review": order.needs_review,
        "review_reason": order.review_reason,
        "total": order.total,
        "currency": order.currency,
        "email": order.email,
        "customer_id": order.customer_id,
        # The cart id is the storefront's capability (a cart an admin cancel reopens could be changed with it):
        # staff see enough of it to tell carts apart, never all of it.
        "cart_ref": order.cart_id[:CART_REF_LENGTH] + "…",
        "version": order.version,
        "reservation_expires_at": _iso(order.expires_at),
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


def _order_of(row: sa.RowMapping) -> Order:
    values = {field.name: row[field.name] for field in dataclasses.fields(Order)}
    return Order(**{**values, "state": OrderState(row["state"])})


def _event_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "from": row["from_state"],
        "to": row["to_state"],
        "reason": row["reason"],
        "actor": row["actor"],
        "provider_event_id": row["provider_event_id"],
        "at": row["at"].isoformat(),
    }


def _attempt_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "provider": row["provider"],
        "provider_payment_id": row["provider_payment_id"],
        "status": row["status"],
        "provider_status": row["raw_status"],
        "amount": row["amount"],
        "amount_received": row["amount_received"],
        "currency": row["currency"],
        "last_error_code": row["last_error_code"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def webhook_event_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "webhook_event",
        "provider": row["provider"],
        "event_id": row["event_id"],
        "type": row["type"],
        "delivery_count": row["delivery_count"],
        "status": row["status"],
        "status_reason": row["status_reason"],
        "last_error": row["last_error"],
        "order_id": row["order_id"],
        "received_at": row["received_at"].isoformat(),
        "last_received_at": row["last_received_at"].isoformat(),
        "processed_at": _iso(row["processed_at"]),
    }


def _reservation_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "sku": row["sku"],
        "quantity": row["quantity"],
        "status": row["status"],
        "expires_at": row["expires_at"].isoformat(),
        "created_at": row["created_at"].isoformat(),
        "settled_at": _iso(row["settled_at"]),
    }


def _entitlement_view(row: sa.RowMapping) -> dict[str, Any]:
    # The grant token and licence key are the customer's capabilities: operators (even viewers) never see them.
    return {
        "id": row["id"],
        "sku": row["sku"],
        "download_limit": row["download_limit"],
        "downloads_used": row["downloads_used"],
        "expires_at": row["expires_at"].isoformat(),
        "created_at": row["created_at"].isoformat(),
    }


def _shipment_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "lines": row["lines"],
        "address": row["address"],
        "created_at": row["created_at"].isoformat(),
    }


def _refund_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "payment_attempt_id": row["payment_attempt_id"],
        "amount": row["amount"],
        "currency": row["currency"],
        "status": row["status"],
        "provider_refund_id": row["provider_refund_id"],
        "reason": row["reason"],
        "requested_by": row["requested_by"],
        "lines": row["lines"],
        "shipping_amount": row["shipping_amount"],
        "approval_id": row["approval_id"],
        "last_error": row["last_error"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def _receipt_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "purpose": row["purpose"],
        "email": row["email"],
        "status": row["status"],
        "payload": row["payload"],
        "created_at": row["created_at"].isoformat(),
        "sent_at": _iso(row["sent_at"]),
    }


def _redemption_view(row: sa.RowMapping) -> dict[str, Any]:
    return {"coupon_code": row["coupon_code"], "status": row["status"], "updated_at": row["updated_at"].isoformat()}


def _finding_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "run_id": row["run_id"],
        "kind": row["kind"],
        "subject": row["subject"],
        "believed": row["believed"],
        "provider_says": row["provider_says"],
        "action": row["action"],
        "status": row["status"],
        "note": row["note"],
        "created_at": row["created_at"].isoformat(),
        "resolved_at": _iso(row["resolved_at"]),
        "resolved_by": row["resolved_by"],
    }


def _run_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "trigger": row["trigger"],
        "status": row["status"],
        "findings": row["findings"],
        "repairs": row["repairs"],
        "errors": row["errors"],
        "error": row["error"],
        "started_at": row["started_at"].isoformat(),
        "finished_at": _iso(row["finished_at"]),
    }


def job_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "job",
        "kind": row["kind"],
        "payload": row["payload"],
        "status": row["status"],
        "attempts": row["attempts"],
        "max_attempts": row["max_attempts"],
        "run_at": row["run_at"].isoformat(),
        "lease_owner": row["lease_owner"],
        "lease_expires_at": _iso(row["lease_expires_at"]),
        "last_error": row["last_error"],
        "dedupe_key": row["dedupe_key"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "finished_at": _iso(row["finished_at"]),
    }


def audit_view(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "audit_entry",
        "at": row["at"].isoformat(),
        "actor": row["actor"],
        "role": row["role"],
        "action": row["action"],
        "target": {"type": row["target_type"], "id": row["target_id"]},
        "reason": row["reason"],
        "before": row["before"],
        "after": row["after"],
        "request_id": row["request_id"],
    }


# -- Orders ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderFilters:
    state: OrderState | None = None
    needs_review: bool | None = None
    email: str | None = None
    created_gte: datetime | None = None  # inclusive
    created_lt: datetime | None = None  # exclusive

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if self.state is not None:
            found.append(orders.c.state == self.state.value)
        if self.needs_review is not None:
            found.append(orders.c.needs_review.is_(self.needs_review))
        if self.email is not None:
            found.append(sa.func.lower(orders.c.email) == self.email.strip().lower())
        if self.created_gte is not None:
            found.append(orders.c.created_at >= _as_utc(self.created_gte))
        if self.created_lt is not None:
            found.append(orders.c.created_at < _as_utc(self.created_lt))
        return found


def list_orders(conn: sa.Connection, filters: OrderFilters, *, limit: int, cursor: str | None) -> Page:
    """Newest first by (created_at, id): ids are random, so the timestamp orders and the id breaks ties."""
    query = sa.select(orders).where(*filters.conditions())
    return created_page(
        conn, query, orders, kind="orders", limit=limit, cursor=cursor, view=lambda row: order_view(_order_of(row))
    )


def _all_for_order(
    conn: sa.Connection, table: sa.Table, order_id: str, view: Callable[[sa.RowMapping], dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(table).where(table.c.order_id == order_id).order_by(table.c.id)).mappings()
    return [view(row) for row in rows]


def _snapshot(conn: sa.Connection, order_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(pricing_snapshots).where(pricing_snapshots.c.order_id == order_id)).mappings().first()
    if row is None:
        return None
    return {
        "currency": row["currency"],
        "total": row["total"],
        "hash": row["hash"],
        "payload": row["payload"],
        "created_at": row["created_at"].isoformat(),
    }


def _attempts(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(payment_attempts)
        .where(payment_attempts.c.order_id == order_id)
        .order_by(payment_attempts.c.created_at, payment_attempts.c.id)
    )
    return [_attempt_view(row) for row in conn.execute(query).mappings()]


def _refunds(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    query = sa.select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.created_at, refunds.c.id)
    return [_refund_view(row) for row in conn.execute(query).mappings()]


def _provider_keys(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    """Every idempotency key sent to the provider for the order's captures, cancels and refunds, and why a spent
    one was given up."""
    attempt_ids = conn.execute(sa.select(payment_attempts.c.id).where(payment_attempts.c.order_id == order_id))
    refund_ids = conn.execute(sa.select(refunds.c.id).where(refunds.c.order_id == order_id))
    ids = [*attempt_ids.scalars(), *refund_ids.scalars()]
    return [
        {
            **entry,
            "created_at": entry["created_at"].isoformat(),
            "spent_at": _iso(entry["spent_at"]),
        }
        for entry in provider_keys.history(conn, ids)
    ]


def _redemption(conn: sa.Connection, order_id: str) -> dict[str, Any] | None:
    query = sa.select(coupon_redemptions).where(coupon_redemptions.c.order_id == order_id)
    row = conn.execute(query).mappings().first()
    return _redemption_view(row) if row else None


def _audit_entries(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(audit_log)
        .where(audit_log.c.target_type == "order", audit_log.c.target_id == order_id)
        .order_by(audit_log.c.id)
    )
    return [audit_view(row) for row in conn.execute(query).mappings()]


def webhook_events_of_order(conn: sa.Connection, order_id: str) -> sa.ColumnElement[bool]:
    """Events attributed to the order, and those not attributed yet (a processing failure records no order)
    whose object is one of the order's payments or carries the order id we put in the metadata."""
    payment_ids = list(
        conn.execute(
            sa.select(payment_attempts.c.provider_payment_id).where(
                payment_attempts.c.order_id == order_id, payment_attempts.c.provider_payment_id.is_not(None)
            )
        ).scalars()
    )
    obj = ("data", "object")
    mentions = sa.or_(
        W.c.payload[(*obj, "id")].as_string().in_(payment_ids),
        W.c.payload[(*obj, "payment_intent")].as_string().in_(payment_ids),
        W.c.payload[(*obj, "metadata", "order_id")].as_string() == order_id,
    )
    return sa.or_(W.c.order_id == order_id, sa.and_(W.c.order_id.is_(None), mentions))


def _webhook_timeline(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    query = sa.select(W).where(webhook_events_of_order(conn, order_id)).order_by(W.c.received_at, W.c.id)
    return [webhook_event_view(row) for row in conn.execute(query).mappings()]


def order_detail(conn: sa.Connection, order_id: str) -> dict[str, Any]:
    """Everything about one order side by side, each part in the order it happened."""
    row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().first()
    if row is None:
        raise NotFound("No such order.", code="order_not_found", details={"order_id": order_id})
    order = _order_of(row)
    now = utcnow()
    return {
        "order": order_view(order),
        "fulfillment_status": fulfillment.status(conn, order),
        "refund": refund_service.summary(conn, order_id),
        "pricing_snapshot": _snapshot(conn, order_id),
        "events": _all_for_order(conn, order_events, order_id, _event_view),
        "payment_attempts": _attempts(conn, order_id),
        "webhook_events": _webhook_timeline(conn, order_id),
        "reservations": _all_for_order(conn, inventory_reservations, order_id, _reservation_view),
        "coupon_redemption": _redemption(conn, order_id),
        "fulfillment": {
            "entitlements": _all_for_order(conn, entitlements, order_id, _entitlement_view),
            "shipment_requests": _all_for_order(conn, shipment_requests, order_id, _shipment_view),
        },
        "refunds": _refunds(conn, order_id),
        "approvals": [approval_view(request, now=now) for request in approvals.for_order(conn, order_id)],
        "provider_keys": _provider_keys(conn, order_id),
        "receipts": _all_for_order(conn, receipts, order_id, _receipt_view),
        "reconciliation_findings": _all_for_order(conn, reconciliation_findings, order_id, _finding_view),
        "audit_log": _audit_entries(conn, order_id),
    }


# -- Operations -----------------------------------------------------------------------------------------------


def list_webhook_events(
    conn: sa.Connection, *, status: str | None, order_id: str | None, limit: int, cursor: str | None
) -> Page:
    query = sa.select(W)
    if status is not None:
        query = query.where(W.c.status == status)
    if order_id is not None:
        query = query.where(webhook_events_of_order(conn, order_id))
    return id_page(conn, query, W, kind="webhook_events", limit=limit, cursor=cursor, view=webhook_event_view)


def _job_status_condition(status: str) -> sa.ColumnElement[bool]:
    # "failed" is not a stored status: it names live jobs whose last attempt failed and that will run again.
    if status == "failed":
        live = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
        return sa.and_(jobs.c.status.in_(live), jobs.c.last_error.is_not(None))
    return jobs.c.status == status


def list_jobs(conn: sa.Connection, *, status: str | None, limit: int, cursor: str | None) -> Page:
    query = sa.select(jobs)
    if status is not None:
        query = query.where(_job_status_condition(status))
    return id_page(conn, query, jobs, kind="jobs", limit=limit, cursor=cursor, view=job_view)


def list_audit_log(
    conn: sa.Connection,
    *,
    target_type: str | None,
    target_id: str | None,
    action: str | None,
    limit: int,
    cursor: str | None,
) -> Page:
    query = sa.select(audit_log)
    for column, value in (("target_type", target_type), ("target_id", target_id), ("action", action)):
        if value is not None:
            query = query.where(audit_log.c[column] == value)
    return id_page(conn, query, audit_log, kind="audit_log", limit=limit, cursor=cursor, view=audit_view)


# -- Stats ----------------------------------------------------------------------------------------------------


def _count(conn: sa.Connection, table: sa.Table, *conditions: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*conditions)).scalar_one())


def _counts_by(conn: sa.Connection, column: sa.Column[Any], *conditions: sa.ColumnElement[bool]) -> dict[str, int]:
    rows = conn.execute(sa.select(column, sa.func.count()).where(*conditions).group_by(column))
    return {str(value): int(count) for value, count in rows}


def _order_stats(conn: sa.Connection, *, now: datetime, stuck_after: timedelta) -> dict[str, Any]:
    by_state = {state.value: 0 for state in OrderState} | _counts_by(conn, orders.c.state)
    # An order's updated_at moves with every change, so it tells how long the order has sat where it is.
    stuck_states = [state.value for state in STUCK_STATES]
    stuck = {state: 0 for state in stuck_states} | _counts_by(
        conn, orders.c.state, orders.c.state.in_(stuck_states), orders.c.updated_at < now - stuck_after
    )
    return {
        "by_state": by_state,
        "needs_review": _count(conn, orders, orders.c.needs_review.is_(True)),
        "stuck": {**stuck, "older_than_seconds": int(stuck_after.total_seconds())},
    }


def _job_stats(conn: sa.Connection, *, now: datetime) -> dict[str, Any]:
    by_status = {status.value: 0 for status in JobStatus} | _counts_by(conn, jobs.c.status)
    oldest = conn.execute(
        sa.select(sa.func.min(jobs.c.created_at)).where(jobs.c.status == JobStatus.QUEUED.value)
    ).scalar()
    return {
        "queued": by_status[JobStatus.QUEUED.value],
        "running": by_status[JobStatus.RUNNING.value],
        "dead": by_status[JobStatus.DEAD.value],
        "oldest_queued_age_seconds": round((now - oldest).total_seconds(), 3) if oldest is not None else None,
    }


def _last_reconciliation(conn: sa.Connection) -> dict[str, Any] | None:
    query = sa.select(reconciliation_runs).order_by(reconciliation_runs.c.id.desc()).limit(1)
    row = conn.execute(query).mappings().first()
    return _run_view(row) if row else None


def _mismatch_stats(conn: sa.Connection) -> dict[str, Any]:
    """Open findings are the mismatches reconciliation could not repair and a person must look at."""
    findings = reconciliation_findings
    by_kind = _counts_by(conn, findings.c.kind, findings.c.status == "open")
    return {"open": sum(by_kind.values()), "by_kind": by_kind}


def stats(conn: sa.Connection, *, stuck_after: timedelta) -> dict[str, Any]:
    now = utcnow()
    return {
        "object": "stats",
        "generated_at": now.isoformat(),
        "orders": _order_stats(conn, now=now, stuck_after=stuck_after),
        "webhook_events": {"failed": _count(conn, W, W.c.status == "failed")},
        "jobs": _job_stats(conn, now=now),
        "mismatches": _mismatch_stats(conn),
        "last_reconciliation": _last_reconciliation(conn),
        "approvals": _approval_stats(conn, now=now),
    }


def _approval_stats(conn: sa.Connection, *, now: datetime) -> dict[str, Any]:
    oldest = approvals.oldest_pending(conn, now=now)
    return {
        "pending": approvals.counts_by_status(conn, now=now)["pending"],
        "oldest_pending_age_seconds": (now - oldest).total_seconds() if oldest is not None else None,
    }
