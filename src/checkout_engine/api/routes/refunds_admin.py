"""`POST /admin/v1/orders/{id}/refunds`: an idempotent refund request (keys scoped to the API key), audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from checkout_engine.api.answers import REPLAYED, STAFF, WITH_BODY, errors
from checkout_engine.api.deps import AppSettings, Support
from checkout_engine.api.params import IdempotencyKey, OrderId
from checkout_engine.api.schemas import RequestRefund
from checkout_engine.audit import repository as audit
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.idempotency import single_phase
from checkout_engine.idempotency.model import IdempotentRequest, check_key
from checkout_engine.orders import service as orders
from checkout_engine.refunds import service as refunds
from checkout_engine.refunds.repository import Refund

router = APIRouter(prefix="/admin/v1", tags=["admin: refunds"])


def refund_view(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "order_id": refund.order_id,
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status,
        "provider_refund_id": refund.provider_refund_id,
        "reason": refund.reason,
        "requested_by": refund.requested_by,
    }


@router.post(
    "/orders/{order_id}/refunds",
    status_code=201,
    responses={
        201: {"description": "The refund, recorded; a worker asks the provider for it.", "headers": REPLAYED},
        **errors(
            *WITH_BODY,
            *STAFF,
            404,
            409,
            codes={
                400: ["idempotency_key_required", "invalid_idempotency_key", "malformed_json"],
                403: ["forbidden", "refund_limit_exceeded"],
                404: ["order_not_found"],
                409: ["order_not_refundable", "idempotency_key_in_use"],
                422: ["refund_exceeds_captured", "idempotency_key_reused", "validation_error"],
            },
        ),
    },
)
def create_refund(
    order_id: OrderId,
    body: RequestRefund,
    principal: Support,
    request: Request,
    settings: AppSettings,
    idempotency_key: IdempotencyKey,
) -> Response:
    key = check_key(idempotency_key)

    def work(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        order = orders.get_order(uow, order_id, for_update=True)
        refunds.check_support_limit(uow, principal, order.id, body.amount, settings=settings)
        refund = refunds.request_refund(uow, order, amount=body.amount, reason=body.reason, requested_by=principal.name)
        audit.record(
            uow.connection,
            principal=principal,
            action="refund.request",
            target=("order", order.id),
            reason=body.reason,
            before=None,
            after=refund_view(refund),
        )
        return 201, refund_view(refund)

    request_ = IdempotentRequest(
        f"admin:{principal.name}", key, "POST", f"/admin/v1/orders/{order_id}/refunds", body.model_dump()
    )
    outcome = single_phase.run(request.app.state.engine, request_, work, lock_timeout=settings.key_lock())
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return Response(outcome.raw, status_code=outcome.status, headers=headers, media_type="application/json")
