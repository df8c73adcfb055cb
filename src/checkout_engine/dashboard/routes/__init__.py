"""The operations dashboard under ``/ops``: server-rendered pages and plain form posts, no script."""

from __future__ import annotations

from fastapi import APIRouter

from checkout_engine.dashboard.routes import (
    approvals,
    operations,
    order_actions,
    orders,
    outgoing,
    overview,
    reconciliation,
    session,
)

router = APIRouter(prefix="/ops", include_in_schema=False)
for part in (session, overview, orders, order_actions, approvals, operations, outgoing, reconciliation):
    router.include_router(part.router)
