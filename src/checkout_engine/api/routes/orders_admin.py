"""Admin order calls: the filtered list, everything about one order, and the order actions
(``viewer`` reads; ``support`` retries fulfilment, resends receipts and marks or clears reviews; ``admin`` cancels an
unpaid order, and asks for the state changes a second admin approves: cancelling a paid order, closing one).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from checkout_engine.admin import actions, queries, state_changes
from checkout_engine.admin.actions import OrderActionResult
from checkout_engine.api.answers import EVERY, PAGED, STAFF, WITH_BODY, errors, page
from checkout_engine.api.deps import Admin, AppSettings, Support, Uow, Viewer
from checkout_engine.api.params import OrderId
from checkout_engine.api.schemas import Body, Email, Reason, Timestamp
from checkout_engine.api.text_input import URL_TEXT_PATTERN
from checkout_engine.approvals.model import ApprovalRequest
from checkout_engine.approvals.views import approval_view
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import NotFound
from checkout_engine.orders.model import OrderState

router = APIRouter(prefix="/admin/v1", tags=["admin: orders"], responses=errors(*EVERY, *STAFF))
NO_ORDER = {404: ["order_not_found"]}

ACTIONS = (
    "retry_fulfillment",
    "resend_receipt",
    "mark_for_review",
    "clear_review",
    "cancel",
    "cancel_with_refund",
    "close",
)
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)]
# What encode_cursor writes: URL-safe base64 without padding (a well-formed one that is not ours is a 400).
Cursor = Annotated[str | None, Query(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")]
# A free-text list filter, as the URL check admits it.
Filter = Annotated[str | None, Query(min_length=1, max_length=128, pattern=URL_TEXT_PATTERN)]


class ActionRequest(Body):
    reason: Reason


def _answer(uow: UnitOfWork, action: str, result: OrderActionResult) -> dict[str, Any]:
    uow.commit()
    return {"object": "order_action", "action": action, "order": queries.order_view(result.order), **result.details}


@router.get(
    "/orders",
    responses={200: page("A page of orders.", "order_id", "get_order_detail"), **PAGED},
)
def list_orders(
    _: Viewer,
    uow: Uow,
    state: OrderState | None = None,
    needs_review: bool | None = None,
    email: Annotated[Email | None, Query()] = None,
    created_gte: Timestamp | None = None,
    created_lt: Timestamp | None = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    filters = queries.OrderFilters(state, needs_review, email, created_gte, created_lt)
    return queries.list_orders(uow.connection, filters, limit=limit, cursor=cursor)


@router.get("/orders/{order_id}", responses=errors(*EVERY, *STAFF, 404, codes=NO_ORDER))
def get_order_detail(order_id: OrderId, _: Viewer, uow: Uow) -> dict[str, Any]:
    return queries.order_detail(uow.connection, order_id)


@router.post(
    "/orders/{order_id}/actions/retry_fulfillment",
    responses=errors(
        *WITH_BODY, *STAFF, 404, 409, codes={**NO_ORDER, 409: ["order_not_fulfillable", "job_already_queued"]}
    ),
)
def retry_fulfillment(order_id: OrderId, body: ActionRequest, principal: Support, uow: Uow) -> dict[str, Any]:
    result = actions.retry_fulfillment(uow, principal, order_id, reason=body.reason)
    return _answer(uow, "retry_fulfillment", result)


@router.post(
    "/orders/{order_id}/actions/resend_receipt",
    responses=errors(*WITH_BODY, *STAFF, 404, 409, codes={**NO_ORDER, 409: ["no_receipt"]}),
)
def resend_receipt(order_id: OrderId, body: ActionRequest, principal: Support, uow: Uow) -> dict[str, Any]:
    return _answer(uow, "resend_receipt", actions.resend_receipt(uow, principal, order_id, reason=body.reason))


@router.post(
    "/orders/{order_id}/actions/mark_for_review",
    responses=errors(*WITH_BODY, *STAFF, 404, 409, codes={**NO_ORDER, 409: ["already_under_review"]}),
)
def mark_for_review(order_id: OrderId, body: ActionRequest, principal: Support, uow: Uow) -> dict[str, Any]:
    return _answer(uow, "mark_for_review", actions.mark_for_review(uow, principal, order_id, reason=body.reason))


@router.post(
    "/orders/{order_id}/actions/clear_review",
    responses=errors(*WITH_BODY, *STAFF, 404, 409, codes={**NO_ORDER, 409: ["not_under_review"]}),
)
def clear_review(order_id: OrderId, body: ActionRequest, principal: Support, uow: Uow) -> dict[str, Any]:
    return _answer(uow, "clear_review", actions.clear_review(uow, principal, order_id, reason=body.reason))


def _asked(uow: UnitOfWork, request: ApprovalRequest) -> JSONResponse:
    uow.commit()
    return JSONResponse({"approval_request": approval_view(request, now=utcnow())}, status_code=202)


@router.post(
    "/orders/{order_id}/actions/cancel",
    responses={
        202: {"description": "A paid order: the cancellation waits for a second admin's approval."},
        **errors(
            *WITH_BODY,
            *STAFF,
            404,
            409,
            502,
            503,
            codes={
                **NO_ORDER,
                409: [
                    "order_not_cancellable",
                    "capture_in_progress",
                    "invalid_transition",
                    "approval_already_pending",
                ],
            },
        ),
    },
)
def cancel(order_id: OrderId, body: ActionRequest, principal: Admin, uow: Uow, settings: AppSettings) -> Any:
    """An unpaid order is cancelled now; a paid one not yet delivered is cancelled with a refund once a second
    admin approves."""
    result = state_changes.cancel(uow, principal, order_id, reason=body.reason, settings=settings)
    if isinstance(result, ApprovalRequest):
        return _asked(uow, result)
    return _answer(uow, "cancel", result)


@router.post(
    "/orders/{order_id}/actions/cancel_with_refund",
    status_code=202,
    responses=errors(
        *WITH_BODY,
        *STAFF,
        404,
        409,
        codes={**NO_ORDER, 409: ["order_not_cancellable", "approval_already_pending"]},
    ),
)
def cancel_with_refund(
    order_id: OrderId, body: ActionRequest, principal: Admin, uow: Uow, settings: AppSettings
) -> JSONResponse:
    """Always through a second admin: on approval the order is cancelled, its stock returned, its shipment request
    withdrawn and what was captured refunded."""
    request = state_changes.ask_cancel_with_refund(uow, principal, order_id, reason=body.reason, settings=settings)
    return _asked(uow, request)


@router.post(
    "/orders/{order_id}/actions/close",
    status_code=202,
    responses=errors(
        *WITH_BODY,
        *STAFF,
        404,
        409,
        codes={**NO_ORDER, 409: ["order_not_closable", "refund_in_progress", "approval_already_pending"]},
    ),
)
def close(order_id: OrderId, body: ActionRequest, principal: Admin, uow: Uow, settings: AppSettings) -> JSONResponse:
    """Always through a second admin: on approval the order is closed for good."""
    return _asked(uow, state_changes.ask_close(uow, principal, order_id, reason=body.reason, settings=settings))


# Declared after the actions above, so it only catches names none of them matched.
@router.post(
    "/orders/{order_id}/actions/{action}",
    responses=errors(*EVERY, *STAFF, 404, codes={404: ["unknown_action", "order_not_found"]}),
)
def unknown_action(
    order_id: OrderId, action: Annotated[str, Path(max_length=64, pattern=URL_TEXT_PATTERN)], _: Viewer
) -> dict[str, Any]:
    raise NotFound(
        f"There is no order action named {action!r}.",
        code="unknown_action",
        details={"action": action, "actions": list(ACTIONS)},
    )
