"""Approval requests as the admin API and the dashboard show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from checkout_engine.approvals.model import MAY_APPROVE, ApprovalRequest


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def approval_view(request: ApprovalRequest, *, now: datetime) -> dict[str, Any]:
    return {
        "id": request.id,
        "object": "approval_request",
        "action": request.action.value,
        "order_id": request.order_id,
        "params": request.params,
        "amount": request.amount,
        "currency": request.currency,
        "reason": request.reason,
        "requested_by": request.requested_by,
        "requested_role": request.requested_role,
        "approver_role": MAY_APPROVE[request.action].label,  # the least role that may decide it
        "status": request.status_at(now).value,
        "created_at": _iso(request.created_at),
        "expires_at": _iso(request.expires_at),
        "decided_by": request.decided_by,
        "decided_role": request.decided_role,
        "decision_reason": request.decision_reason,
        "decided_at": _iso(request.decided_at),
        "outcome": request.outcome,
    }
