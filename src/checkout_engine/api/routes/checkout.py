"""Checkout and the customer's order calls (contract: "Storefront API")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from checkout_engine.api.answers import EVERY, REPLAYED, WITH_BODY, errors, links
from checkout_engine.api.deps import AppSettings, Uow, provider
from checkout_engine.api.params import CartId, IdempotencyKey, OrderId, OrderToken
from checkout_engine.api.representations import CheckoutAnswer, CustomerOrder, PaymentAttemptAnswer
from checkout_engine.api.schemas import Checkout
from checkout_engine.checkout import service
from checkout_engine.errors import NotFound
from checkout_engine.idempotency.model import Outcome, check_key
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders.service import hash_token, token_matches
from checkout_engine.orders.views import customer_view

router = APIRouter(tags=["checkout"], responses=errors(*EVERY))
KEYED = {400: ["idempotency_key_required", "invalid_idempotency_key", "malformed_json"]}
PROVIDER = {502: ["provider_error", "provider_rejected"], 503: ["provider_unavailable"]}

NO_ORDER_HASH = hash_token("no such order")


def _respond(outcome: Outcome) -> Response:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return Response(outcome.raw, status_code=outcome.status, headers=headers, media_type="application/json")


@router.post(
    "/v1/carts/{cart_id}/checkout",
    status_code=201,
    response_model=None,
    responses={
        201: {
            "model": CheckoutAnswer,
            "description": "The order, waiting for its payment.",
            "headers": REPLAYED,
            "links": {
                **links(
                    {"order_id": "$response.body#/order_id", "header.X-Order-Token": "$response.body#/order_token"},
                    "get_order",
                    "new_payment_attempt",
                ),
                **links(
                    {"order_id": "$response.body#/order_id"},
                    "get_order_detail",
                    "create_refund",
                    "mark_for_review",
                    "cancel",
                ),
            },
        },
        **errors(
            *WITH_BODY,
            404,
            409,
            502,
            503,
            codes={
                **KEYED,
                **PROVIDER,
                404: ["cart_not_found"],
                409: [
                    "price_changed",
                    "cart_already_checked_out",
                    "idempotency_key_in_use",
                    "insufficient_inventory",
                    "coupon_unavailable",
                ],
                422: [
                    "cart_empty",
                    "items_unavailable",
                    "shipping_required",
                    "invalid_total",
                    "amount_too_small",
                    "idempotency_key_reused",
                ],
            },
        ),
    },
)
def checkout(
    cart_id: CartId,
    request: Request,
    settings: AppSettings,
    idempotency_key: IdempotencyKey,
    body: Checkout | None = None,
) -> Response:
    key = check_key(idempotency_key)
    outcome = service.checkout(
        request.app.state.engine,
        provider(request),
        settings,
        cart_id=cart_id,
        key=key,
        expected_total=body.expected_total if body else None,
    )
    return _respond(outcome)


@router.get(
    "/v1/orders/{order_id}",
    response_model=None,
    responses={
        200: {"model": CustomerOrder, "description": "The customer's view of the order."},
        **errors(404, codes={404: ["order_not_found"]}),
    },
)
def get_order(order_id: OrderId, uow: Uow, order_token: OrderToken) -> dict[str, Any]:
    stored = orders_repo.token_hash(uow.connection, order_id)
    # Compare even when there is no such order, so the answer's timing tells nothing either way.
    matches = token_matches(order_token, stored or NO_ORDER_HASH)
    if stored is None or not matches:
        raise NotFound("No such order.", code="order_not_found")
    order = orders_repo.get_order(uow.connection, order_id)
    assert order is not None
    return customer_view(uow.connection, order)


@router.post(
    "/v1/orders/{order_id}/payment-attempts",
    status_code=201,
    response_model=None,
    responses={
        201: {"model": PaymentAttemptAnswer, "description": "The new payment attempt.", "headers": REPLAYED},
        **errors(
            *EVERY,
            404,
            409,
            502,
            503,
            codes={
                **KEYED,
                **PROVIDER,
                404: ["order_not_found"],
                409: ["order_not_payable", "payment_in_progress", "insufficient_inventory", "idempotency_key_in_use"],
                422: ["idempotency_key_reused"],
            },
        ),
    },
)
def new_payment_attempt(
    order_id: OrderId,
    request: Request,
    settings: AppSettings,
    idempotency_key: IdempotencyKey,
    order_token: OrderToken,
) -> Response:
    key = check_key(idempotency_key)
    outcome = service.new_payment_attempt(
        request.app.state.engine, provider(request), settings, order_id=order_id, order_token=order_token, key=key
    )
    return _respond(outcome)
