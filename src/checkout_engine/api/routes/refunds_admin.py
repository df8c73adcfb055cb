"""`POST /admin/v1/orders/{id}/refunds`: an idempotent refund request (keys scoped to the API key), by amount or by
line, made at once within the caller's limits or stored as an approval request beyond them; audited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from checkout_engine.api.answers import REPLAYED, STAFF, WITH_BODY, errors
from checkout_engine.api.deps import AppSettings, Support
from checkout_engine.api.params import IdempotencyKey, OrderId
from checkout_engine.api.schemas import RequestRefund
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.idempotency import single_phase
from checkout_engine.idempotency.model import IdempotentRequest, check_key
from checkout_engine.refunds import staff
from checkout_engine.refunds.lines import LineAsk
from checkout_engine.refunds.staff import RefundAsk

router = APIRouter(prefix="/admin/v1", tags=["admin: refunds"])


@router.post(
    "/orders/{order_id}/refunds",
    status_code=201,
    responses={
        201: {"description": "The refund, recorded; a worker asks the provider for it.", "headers": REPLAYED},
        202: {
            "description": "Beyond the caller's own limit: an approval request waits for a second person.",
            "headers": REPLAYED,
        },
        **errors(
            *WITH_BODY,
            *STAFF,
            404,
            409,
            codes={
                400: ["idempotency_key_required", "invalid_idempotency_key", "malformed_json"],
                403: ["forbidden"],
                404: ["order_not_found"],
                409: ["order_not_refundable", "idempotency_key_in_use"],
                422: [
                    "refund_exceeds_captured",
                    "refund_exceeds_line",
                    "refund_line_unknown",
                    "shipping_already_refunded",
                    "refund_amount_zero",
                    "idempotency_key_reused",
                    "validation_error",
                ],
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
    lines = tuple(LineAsk(line.sku, line.quantity) for line in body.lines or ())
    ask = RefundAsk(body.amount, lines, body.shipping)

    def work(uow: UnitOfWork) -> tuple[int, dict[str, object]]:
        return staff.refund_or_ask(uow, principal, order_id, ask, reason=body.reason, settings=settings)

    request_ = IdempotentRequest(
        f"admin:{principal.name}",
        key,
        "POST",
        f"/admin/v1/orders/{order_id}/refunds",
        body.model_dump(exclude_defaults=True),
    )
    outcome = single_phase.run(request.app.state.engine, request_, work, lock_timeout=settings.key_lock())
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return Response(outcome.raw, status_code=outcome.status, headers=headers, media_type="application/json")
