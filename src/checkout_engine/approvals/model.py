"""Approval requests as values: the actions that need a second person, who may ask for and approve each, and the
errors of deciding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from checkout_engine.admin.roles import Principal, Role
from checkout_engine.errors import Conflict, Forbidden, NotFound


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Action(StrEnum):
    REFUND = "refund"  # above the requester's own limit
    CANCEL = "cancel"  # of a paid order: refunds what was captured and returns the stock
    CANCEL_WITH_REFUND = "cancel_with_refund"
    CLOSE = "close"


# Who may ask for each action, and who may approve it: a role that may carry it out, and never the one who asked.
MAY_REQUEST: dict[Action, Role] = {
    Action.REFUND: Role.SUPPORT,
    Action.CANCEL: Role.ADMIN,
    Action.CANCEL_WITH_REFUND: Role.ADMIN,
    Action.CLOSE: Role.ADMIN,
}
MAY_APPROVE: dict[Action, Role] = {
    Action.REFUND: Role.FINANCE,
    Action.CANCEL: Role.ADMIN,
    Action.CANCEL_WITH_REFUND: Role.ADMIN,
    Action.CLOSE: Role.ADMIN,
}
# A state change is asked for once per order at a time; refunds of different amounts may wait side by side.
ONE_AT_A_TIME = frozenset({Action.CANCEL, Action.CANCEL_WITH_REFUND, Action.CLOSE})


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    id: str
    action: Action
    order_id: str
    params: dict[str, Any]
    amount: int | None
    currency: str
    reason: str
    requested_by: str
    requested_role: str
    status: ApprovalStatus
    expires_at: datetime
    created_at: datetime
    decided_by: str | None
    decided_role: str | None
    decision_reason: str | None
    decided_at: datetime | None
    outcome: dict[str, Any] | None

    def pending_at(self, now: datetime) -> bool:
        return self.status is ApprovalStatus.PENDING and now < self.expires_at

    def status_at(self, now: datetime) -> ApprovalStatus:
        """A pending request past its expiry is expired, whether or not the sweep has closed it yet."""
        return (
            ApprovalStatus.EXPIRED if self.status is ApprovalStatus.PENDING and now >= self.expires_at else self.status
        )


class ApprovalNotFound(NotFound):
    code = "approval_not_found"


class ApprovalNotPending(Conflict):
    code = "approval_not_pending"


class ApprovalStale(Conflict):
    code = "approval_stale"


class ApprovalAlreadyPending(Conflict):
    code = "approval_already_pending"


class SelfApprovalForbidden(Forbidden):
    code = "self_approval_forbidden"


class NotTheRequester(Forbidden):
    code = "not_the_requester"


def check_may_request(principal: Principal, action: Action) -> None:
    needed = MAY_REQUEST[action]
    if not principal.allows(needed):
        raise Forbidden(
            f"Asking for {action} needs the {needed.label} role.",
            code="forbidden",
            details={"required_role": needed.label, "your_role": principal.role.label},
        )


def check_may_decide(principal: Principal, request: ApprovalRequest) -> None:
    """The second person: never the requester, and with a role that may carry the action out."""
    if principal.name == request.requested_by:
        raise SelfApprovalForbidden(
            "A request cannot be decided by the person who made it; another staff member must.",
            details={"requested_by": request.requested_by},
        )
    needed = MAY_APPROVE[request.action]
    if not principal.allows(needed):
        raise Forbidden(
            f"Deciding on {request.action} needs the {needed.label} role.",
            code="forbidden",
            details={"required_role": needed.label, "your_role": principal.role.label},
        )
