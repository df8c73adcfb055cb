"""Storefront cart calls (contract: "Storefront API")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from checkout_engine.api.answers import EVERY, WITH_BODY, errors, links
from checkout_engine.api.client_address import request_client_address
from checkout_engine.api.deps import AppSettings, Uow
from checkout_engine.api.params import CartId, Sku
from checkout_engine.api.representations import CartAnswer
from checkout_engine.api.schemas import ApplyCoupon, CreateCart, SetQuantity, SetShipping
from checkout_engine.cart import service
from checkout_engine.cart.model import Cart, ShippingAddress
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.pricing.service import quote_cart
from checkout_engine.pricing.snapshot import quote_payload

router = APIRouter(prefix="/v1/carts", tags=["carts"], responses=errors(*EVERY))
NO_CART = {404: ["cart_not_found"]}
FROZEN = {409: ["cart_frozen"]}
THE_CART: dict[int | str, dict[str, Any]] = {
    200: {"model": CartAnswer, "description": "The cart with the server's quote."}
}


def _an_edit(*refusals: str) -> dict[int | str, dict[str, Any]]:
    """The answers of a change to the cart: the cart, one of the given 422 codes, or the cart's own errors."""
    return THE_CART | errors(*WITH_BODY, 404, 409, codes={**NO_CART, **FROZEN, 422: [*refusals]})


def cart_view(uow: UnitOfWork, cart: Cart) -> dict[str, Any]:
    return {
        "id": cart.id,
        "object": "cart",
        "currency": cart.currency,
        "customer_id": cart.customer_id,
        "email": cart.email,
        "country": cart.country,
        "status": cart.status.value,
        "items": [{"sku": line.sku, "quantity": line.quantity} for line in cart.lines],
        "coupon": cart.coupon_code,
        "shipping": (
            {"address": cart.shipping_address.as_dict(), "method": cart.shipping_method}
            if cart.shipping_address
            else None
        ),
        "quote": quote_payload(quote_cart(uow.connection, cart)),
        "created_at": cart.created_at.isoformat(),
        "updated_at": cart.updated_at.isoformat(),
    }


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses={
        201: {
            "model": CartAnswer,
            "description": "The new, empty cart.",
            "links": links(
                {"cart_id": "$response.body#/id"},
                "get_cart",
                "set_item",
                "set_shipping",
                "apply_coupon",
                "remove_coupon",
                "checkout",
            ),
        },
        **errors(*WITH_BODY, codes={422: ["validation_error", "invalid_currency", "invalid_country"]}),
    },
)
def create_cart(body: CreateCart, uow: Uow) -> dict[str, Any]:
    cart = service.create_cart(
        uow, currency=body.currency, customer_id=body.customer_id, email=body.email, country=body.country
    )
    view = cart_view(uow, cart)
    uow.commit()
    return view


@router.get("/{cart_id}", response_model=None, responses=THE_CART | errors(404, codes=NO_CART))
def get_cart(cart_id: CartId, uow: Uow) -> dict[str, Any]:
    return cart_view(uow, service.get_cart(uow, cart_id))


@router.put(
    "/{cart_id}/items/{sku}",
    response_model=None,
    responses=_an_edit("unknown_sku", "insufficient_inventory", "invalid_quantity", "invalid_sku", "too_many_lines"),
)
def set_item(cart_id: CartId, sku: Sku, body: SetQuantity, uow: Uow) -> dict[str, Any]:
    cart = service.set_item(uow, cart_id, sku, body.quantity)
    view = cart_view(uow, cart)
    uow.commit()
    return view


@router.put(
    "/{cart_id}/shipping",
    response_model=None,
    responses=_an_edit("invalid_shipping_method", "shipping_unavailable", "invalid_country", "validation_error"),
)
def set_shipping(cart_id: CartId, body: SetShipping, uow: Uow) -> dict[str, Any]:
    address = ShippingAddress(**body.address.model_dump())
    cart = service.set_shipping(uow, cart_id, address, body.method)
    view = cart_view(uow, cart)
    uow.commit()
    return view


@router.put(
    "/{cart_id}/coupon",
    response_model=None,
    responses=THE_CART | errors(*WITH_BODY, 404, 409, 429, codes={**NO_CART, **FROZEN, 422: ["invalid_coupon"]}),
)
def apply_coupon(
    cart_id: CartId, body: ApplyCoupon, request: Request, uow: Uow, settings: AppSettings
) -> dict[str, Any]:
    client = request_client_address(request, settings)
    cart = service.apply_coupon(uow, cart_id, body.code, client_address=client, settings=settings)
    view = cart_view(uow, cart)
    uow.commit()
    return view


@router.delete(
    "/{cart_id}/coupon", response_model=None, responses=THE_CART | errors(404, 409, codes={**NO_CART, **FROZEN})
)
def remove_coupon(cart_id: CartId, uow: Uow) -> dict[str, Any]:
    cart = service.remove_coupon(uow, cart_id)
    view = cart_view(uow, cart)
    uow.commit()
    return view
