"""The provider reference a reconciliation repair records on its transition."""

from __future__ import annotations

import sqlalchemy as sa

from checkout_engine.db.tables import webhook_events
from checkout_engine.db.unit_of_work import UnitOfWork


def provider_reference(uow: UnitOfWork, payment_id: str) -> str:
    """The latest provider event we hold about the payment, else the payment's own id: either proves it."""
    latest = uow.connection.execute(
        sa.select(webhook_events.c.event_id)
        .where(webhook_events.c.object_id == payment_id)
        .order_by(webhook_events.c.id.desc())
        .limit(1)
    ).scalar()
    return latest or payment_id
