"""Receipts are written with the paid transition and sent by a job, once per record."""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
import structlog

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import receipts
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.db.upsert import dialect_insert
from checkout_engine.errors import Conflict
from checkout_engine.jobs import repository as jobs
from checkout_engine.jobs.worker import JobContext
from checkout_engine.orders.model import Order

SEND_RECEIPT = "send_receipt"
log = structlog.get_logger(__name__)


class Mailer(Protocol):
    def send(self, *, to: str | None, subject: str, body: dict[str, Any]) -> None: ...


class LogMailer:
    """The default: records the send in the log. A shop replaces it with its email service."""

    def send(self, *, to: str | None, subject: str, body: dict[str, Any]) -> None:
        log.info(
            "receipt_sent",
            to_domain=(to or "").rpartition("@")[2] or None,
            subject=subject,
            order_id=body.get("order_id"),
        )


MAILER: Mailer = LogMailer()


def write(conn: sa.Connection, order: Order, *, purpose: str, payload: dict[str, Any]) -> bool:
    """A receipt record and its send job; a second write for the same purpose does nothing (False)."""
    inserted = conn.execute(
        dialect_insert(conn, receipts)
        .values(
            order_id=order.id, purpose=purpose, email=order.email, payload=payload, status="queued", created_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["order_id", "purpose"])
        .returning(receipts.c.id)
    ).scalar()
    if inserted is None:
        return False
    jobs.enqueue(conn, SEND_RECEIPT, {"receipt_id": inserted}, dedupe_key=f"{SEND_RECEIPT}:{inserted}")
    return True


def resend(conn: sa.Connection, order: Order) -> None:
    """Support's "resend receipt": a new record (and send) with the paid receipt's content, numbered in order.
    Callers hold the order's row lock, so two resends at once cannot take the same number."""
    paid = conn.execute(
        sa.select(receipts.c.payload).where(receipts.c.order_id == order.id, receipts.c.purpose == "order_paid")
    ).scalar()
    if paid is None:
        raise Conflict("This order has no receipt yet: it is not paid.", code="no_receipt")
    count = conn.execute(sa.select(sa.func.count()).select_from(receipts).where(receipts.c.order_id == order.id))
    write(conn, order, purpose=f"resend:{count.scalar_one()}", payload=dict(paid))


def send(context: JobContext, payload: dict[str, Any]) -> None:
    with UnitOfWork(context.engine) as uow:
        row = uow.connection.execute(sa.select(receipts).where(receipts.c.id == payload["receipt_id"])).first()
        if row is None or row.status == "sent":
            return
        MAILER.send(to=row.email, subject=f"Your order {row.order_id}", body=dict(row.payload))
        uow.connection.execute(
            receipts.update()
            .where(receipts.c.id == row.id, receipts.c.status != "sent")
            .values(status="sent", sent_at=utcnow())
        )
        uow.commit()
