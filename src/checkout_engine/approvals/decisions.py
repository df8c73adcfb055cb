"""Deciding approval requests: approve (the action is re-checked against the order as it is now and carried out
once, through the same function a direct action uses), reject, cancel (the requester's), and the sweep that
expires requests nobody answered. Each step is audited with both people.

Exactly once: the request's row is locked first, so a second approver waits, then finds it decided; the action
and the decision commit together or not at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from checkout_engine.admin import state_changes
from checkout_engine.admin.roles import Principal, Role
from checkout_engine.approvals import repository as repo
from checkout_engine.approvals.model import (
    Action,
    ApprovalNotFound,
    ApprovalNotPending,
    ApprovalRequest,
    ApprovalStale,
    ApprovalStatus,
    NotTheRequester,
    check_may_decide,
)
from checkout_engine.approvals.views import approval_view
from checkout_engine.audit import repository as audit
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Conflict, Invalid
from checkout_engine.jobs.worker import JobContext
from checkout_engine.refunds import staff as staff_refunds
from checkout_engine.settings import Settings

Executor = Callable[[UnitOfWork, Principal, ApprovalRequest, Settings], dict[str, Any]]
EXECUTORS: dict[Action, Executor] = {
    Action.REFUND: lambda uow, approver, request, _settings: staff_refunds.approved(uow, approver, request),
    Action.CANCEL: state_changes.cancel_with_refund_approved,
    Action.CANCEL_WITH_REFUND: state_changes.cancel_with_refund_approved,
    Action.CLOSE: lambda uow, approver, request, _settings: state_changes.close_approved(uow, approver, request),
}
STEPS = {ApprovalStatus.APPROVED: "approve", ApprovalStatus.REJECTED: "reject", ApprovalStatus.CANCELLED: "cancel"}
SYSTEM = Principal("system", Role.ADMIN)
EXPIRY_BATCH = 500


def _locked(uow: UnitOfWork, approval_id: str) -> ApprovalRequest:
    request = repo.get(uow.connection, approval_id, for_update=True)
    if request is None:
        raise ApprovalNotFound("No such approval request.", details={"id": approval_id})
    return request


def _still_pending(request: ApprovalRequest) -> None:
    status = request.status_at(utcnow())
    if status is not ApprovalStatus.PENDING:
        raise ApprovalNotPending(
            f"This request is {status} and can no longer be decided.",
            details={"status": status.value, "decided_by": request.decided_by},
        )


def _record(
    uow: UnitOfWork, principal: Principal, step: str, before: ApprovalRequest, after: ApprovalRequest, reason: str
) -> None:
    now = utcnow()
    audit.record(
        uow.connection,
        principal=principal,
        action=f"approval.{step}",
        target=("approval_request", before.id),
        reason=reason,
        before=approval_view(before, now=now),
        after=approval_view(after, now=now),
    )


def _close(
    uow: UnitOfWork,
    principal: Principal,
    request: ApprovalRequest,
    status: ApprovalStatus,
    *,
    reason: str,
    outcome: dict[str, Any] | None = None,
) -> ApprovalRequest:
    decided = repo.decide(
        uow.connection,
        request,
        status=status,
        by=(principal.name, principal.role.label),
        reason=reason,
        now=utcnow(),
        outcome=outcome,
    )
    assert decided is not None  # the row is locked and was pending
    _record(uow, principal, STEPS[status], request, decided, reason)
    return decided


def approve(
    uow: UnitOfWork, principal: Principal, approval_id: str, *, reason: str, settings: Settings
) -> ApprovalRequest:
    request = _locked(uow, approval_id)
    check_may_decide(principal, request)
    _still_pending(request)
    try:
        outcome = EXECUTORS[request.action](uow, principal, request, settings)
    except ApprovalStale:
        raise
    except (Conflict, Invalid) as error:  # the order moved on since the request was made
        raise ApprovalStale(
            f"This request no longer fits the order: {error.message}",
            details={"cause": error.code, **error.details},
        ) from error
    return _close(uow, principal, request, ApprovalStatus.APPROVED, reason=reason, outcome=outcome)


def reject(uow: UnitOfWork, principal: Principal, approval_id: str, *, reason: str) -> ApprovalRequest:
    request = _locked(uow, approval_id)
    check_may_decide(principal, request)
    _still_pending(request)
    return _close(uow, principal, request, ApprovalStatus.REJECTED, reason=reason)


def cancel(uow: UnitOfWork, principal: Principal, approval_id: str, *, reason: str) -> ApprovalRequest:
    """The requester withdraws the request."""
    request = _locked(uow, approval_id)
    if principal.name != request.requested_by:
        raise NotTheRequester(
            "Only the person who made a request may cancel it; reject it instead.",
            details={"requested_by": request.requested_by},
        )
    _still_pending(request)
    return _close(uow, principal, request, ApprovalStatus.CANCELLED, reason=reason)


def expire_due(context: JobContext) -> int:
    """The sweep: requests nobody decided in time are closed as expired, each audited."""
    with UnitOfWork(context.engine) as uow:
        expired = repo.expire_due(uow.connection, now=utcnow(), limit=EXPIRY_BATCH)
        for request in expired:
            before = replace(request, status=ApprovalStatus.PENDING, decided_at=None, decision_reason=None)
            _record(uow, SYSTEM, "expire", before, request, "no decision before it expired")
        uow.commit()
    return len(expired)
