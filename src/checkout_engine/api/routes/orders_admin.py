"""Admin order calls: the filtered list, everything about one order, and the order actions
(``viewer`` reads; ``support`` retries fulfilment, resends receipts and marks or clears reviews; ``admin`` cancels).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from checkout_engine.admin import actions, queries
from checkout_engine.admin.actions import OrderActionResult
from checkout_engine.api.answers import EVERY, PAGED, STAFF, WITH_BODY, errors, page
from checkout_engine.api.deps import Admin, AppSettings, Support, Uow, Viewer
from checkout_engine.api.params import OrderId
from checkout_engine.api.schemas import Body, Email, Reason, Timestamp
from checkout_engine.api.text_input import URL_TEXT_PATTERN
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import NotFound
from checkout_engine.orders.model import OrderState

router = APIRouter(prefix="/admin/v1", tags=["admin: orders"], responses=errors(*EVERY, *STAFF))
NO_ORDER = {404: ["order_not_found"]}

ACTIONS = ("retry_fulfillment", "resend_receipt", "mark_for_review", "clear_review", "cancel")
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


@router.post(
    "/orders/{order_id}/actions/cancel",
    responses=errors(
        *WITH_BODY,
        *STAFF,
        404,
        409,
        502,
        503,
        codes={**NO_ORDER, 409: ["order_not_cancellable", "capture_in_progress", "invalid_transition"]},
    ),
)
def cancel(order_id: OrderId, body: ActionRequest, principal: Admin, uow: Uow, settings: AppSettings) -> dict[str, Any]:
    result = actions.cancel(uow, principal, order_id, reason=body.reason, settings=settings)
    return _answer(uow, "cancel", result)


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
