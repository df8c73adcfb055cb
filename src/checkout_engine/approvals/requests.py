"""Asking for an action that needs a second person: the request is stored and audited, nothing else happens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from checkout_engine.admin.roles import Principal
from checkout_engine.approvals import repository as repo
from checkout_engine.approvals.model import (
    ONE_AT_A_TIME,
    Action,
    ApprovalAlreadyPending,
    ApprovalRequest,
    check_may_request,
)
from checkout_engine.approvals.views import approval_view
from checkout_engine.audit import repository as audit
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders.model import Order
from checkout_engine.settings import Settings


def ask(
    uow: UnitOfWork,
    principal: Principal,
    action: Action,
    order: Order,
    *,
    params: dict[str, Any],
    amount: int | None,
    reason: str,
    settings: Settings,
) -> ApprovalRequest:
    """Store a pending request for ``action`` on ``order`` (the caller holds the order's row lock)."""
    check_may_request(principal, action)
    now = utcnow()
    if action in ONE_AT_A_TIME and (waiting := repo.pending_for(uow.connection, order.id, action, now=now)):
        raise ApprovalAlreadyPending(
            f"A request to {action} this order is already waiting for approval.",
            details={"approval_request_id": waiting.id, "requested_by": waiting.requested_by},
        )
    request = repo.insert(
        uow.connection,
        action=action,
        order_id=order.id,
        params=params,
        amount=amount,
        currency=order.currency,
        reason=reason,
        requested_by=principal.name,
        requested_role=principal.role.label,
        now=now,
        expires_at=now + timedelta(seconds=settings.approval_ttl_seconds),
    )
    audit.record(
        uow.connection,
        principal=principal,
        action="approval.request",
        target=("approval_request", request.id),
        reason=reason,
        before=None,
        after=approval_view(request, now=now),
    )
    return request
