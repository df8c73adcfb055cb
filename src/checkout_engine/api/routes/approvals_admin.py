"""Approval requests: listed and read by every staff role; approved or rejected, with a reason, by another staff
member whose role may carry the action out; cancelled by the one who asked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from checkout_engine.api.answers import EVERY, PAGED, STAFF, WITH_BODY, errors, page
from checkout_engine.api.deps import AppSettings, Uow, Viewer
from checkout_engine.api.params import ApprovalId
from checkout_engine.api.routes.orders_admin import ActionRequest, Cursor, Limit
from checkout_engine.approvals import decisions, listing
from checkout_engine.approvals import repository as approvals
from checkout_engine.approvals.model import ApprovalNotFound, ApprovalRequest, ApprovalStatus
from checkout_engine.approvals.views import approval_view
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.ids import id_pattern

router = APIRouter(prefix="/admin/v1", tags=["admin: approvals"], responses=errors(*EVERY, *STAFF))
NOT_FOUND = {404: ["approval_not_found"]}
DECIDED = errors(
    *WITH_BODY,
    *STAFF,
    404,
    409,
    codes={**NOT_FOUND, 403: ["forbidden", "self_approval_forbidden"], 409: ["approval_not_pending"]},
)
OrderFilter = Annotated[str | None, Query(pattern=id_pattern("ord"))]


def _answer(uow: UnitOfWork, request: ApprovalRequest) -> dict[str, Any]:
    uow.commit()
    return {"approval_request": approval_view(request, now=utcnow())}


@router.get(
    "/approvals", responses={200: page("Approval requests, newest first.", "approval_id", "get_approval"), **PAGED}
)
def list_approvals(
    _: Viewer,
    uow: Uow,
    status: ApprovalStatus | None = None,
    order_id: OrderFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    now = utcnow()
    return listing.list_page(
        uow.connection,
        status=status,
        order_id=order_id,
        limit=limit,
        cursor=cursor,
        now=now,
        view=lambda request: approval_view(request, now=now),
    )


@router.get("/approvals/{approval_id}", responses=errors(*EVERY, *STAFF, 404, codes=NOT_FOUND))
def get_approval(approval_id: ApprovalId, _: Viewer, uow: Uow) -> dict[str, Any]:
    request = approvals.get(uow.connection, approval_id)
    if request is None:
        raise ApprovalNotFound("No such approval request.", details={"id": approval_id})
    return {"approval_request": approval_view(request, now=utcnow())}


@router.post(
    "/approvals/{approval_id}/approve",
    responses=errors(
        *WITH_BODY,
        *STAFF,
        404,
        409,
        codes={
            **NOT_FOUND,
            403: ["forbidden", "self_approval_forbidden"],
            409: ["approval_not_pending", "approval_stale"],
        },
    ),
)
def approve_request(
    approval_id: ApprovalId, body: ActionRequest, principal: Viewer, uow: Uow, settings: AppSettings
) -> dict[str, Any]:
    """Carries the action out now, against the order as it is now, exactly once."""
    return _answer(uow, decisions.approve(uow, principal, approval_id, reason=body.reason, settings=settings))


@router.post("/approvals/{approval_id}/reject", responses=DECIDED)
def reject_request(approval_id: ApprovalId, body: ActionRequest, principal: Viewer, uow: Uow) -> dict[str, Any]:
    return _answer(uow, decisions.reject(uow, principal, approval_id, reason=body.reason))


@router.post(
    "/approvals/{approval_id}/cancel",
    responses=errors(
        *WITH_BODY, *STAFF, 404, 409, codes={**NOT_FOUND, 403: ["not_the_requester"], 409: ["approval_not_pending"]}
    ),
)
def cancel_request(approval_id: ApprovalId, body: ActionRequest, principal: Viewer, uow: Uow) -> dict[str, Any]:
    return _answer(uow, decisions.cancel(uow, principal, approval_id, reason=body.reason))
