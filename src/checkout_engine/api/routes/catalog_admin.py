"""Admin catalog calls: products, inventory, coupons, shipping methods and tax rates (role ``admin`` to change,
``viewer`` to read)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter

from checkout_engine.api.answers import EVERY, STAFF, WITH_BODY, errors, links
from checkout_engine.api.deps import Admin, Uow, Viewer
from checkout_engine.api.params import Code, CountryCode, Sku
from checkout_engine.api.schemas import PutCoupon, PutInventory, PutProduct, PutShippingMethod, PutTaxRate
from checkout_engine.catalog import repository, service
from checkout_engine.catalog.model import (
    Coupon,
    Product,
    ProductKind,
    ShippingMethod,
    StockLevel,
    TaxClass,
    TaxRate,
    check_code,
    check_prices,
    check_sku,
)
from checkout_engine.errors import NotFound

router = APIRouter(prefix="/admin/v1", tags=["admin: catalog"], responses=errors(*EVERY, *STAFF))


def _stock_view(stock: StockLevel) -> dict[str, Any]:
    return {"sku": stock.sku, "on_hand": stock.on_hand, "reserved": stock.reserved, "available": stock.available}


def _product_view(product: Product) -> dict[str, Any]:
    fields = dataclasses.asdict(product)
    del fields["available"]  # the stock has its own resource, /inventory/{sku}
    return {
        "object": "product",
        **fields,
        "kind": product.kind.value,
        "tax_class": product.tax_class.value,
    }


@router.put(
    "/products/{sku}",
    responses={
        200: {
            "description": "The product as saved.",
            "links": links({"sku": "$response.body#/sku"}, "get_product", "put_inventory", "get_inventory"),
        },
        **errors(
            *WITH_BODY, *STAFF, codes={422: ["invalid_sku", "invalid_currency", "invalid_price", "validation_error"]}
        ),
    },
)
def put_product(sku: Sku, body: PutProduct, principal: Admin, uow: Uow) -> dict[str, Any]:
    product = Product(
        sku=check_sku(sku),
        name=body.name,
        kind=ProductKind(body.kind),
        tax_class=TaxClass(body.tax_class),
        active=body.active,
        prices=check_prices(dict(body.prices)),
    )
    service.save_product(uow, product, principal=principal, reason=body.reason)
    uow.commit()
    return _product_view(product)


@router.get("/products/{sku}", responses=errors(*EVERY, *STAFF, 404, codes={404: ["unknown_sku"]}))
def get_product(sku: Sku, _: Viewer, uow: Uow) -> dict[str, Any]:
    product = repository.get_product(uow.connection, check_sku(sku))
    if product is None:
        raise NotFound(f"No product with SKU {sku}.", code="unknown_sku", details={"sku": sku})
    return _product_view(product)


@router.put(
    "/inventory/{sku}",
    responses=errors(
        *WITH_BODY,
        *STAFF,
        404,
        409,
        codes={404: ["unknown_sku"], 409: ["on_hand_below_reserved"], 422: ["invalid_sku", "validation_error"]},
    ),
)
def put_inventory(sku: Sku, body: PutInventory, principal: Admin, uow: Uow) -> dict[str, Any]:
    stock = service.set_stock(uow, sku, body.on_hand, principal=principal, reason=body.reason)
    uow.commit()
    return _stock_view(stock)


@router.get("/inventory/{sku}", responses=errors(*EVERY, *STAFF, 404, codes={404: ["unknown_sku"]}))
def get_inventory(sku: Sku, _: Viewer, uow: Uow) -> dict[str, Any]:
    return _stock_view(service.stock_level(uow, sku))


@router.put(
    "/coupons/{code}",
    responses=errors(
        *WITH_BODY,
        *STAFF,
        codes={422: ["invalid_code", "invalid_coupon_terms", "invalid_currency", "validation_error"]},
    ),
)
def put_coupon(code: Code, body: PutCoupon, principal: Admin, uow: Uow) -> dict[str, Any]:
    coupon = Coupon(
        code=check_code(code, what="coupon"),
        percent_off=body.percent_off,
        amount_off=body.amount_off,
        currency=body.currency,
        max_redemptions=body.max_redemptions,
        max_per_customer=body.max_per_customer,
        expires_at=body.expires_at,
        min_subtotal=body.min_subtotal,
        skus=tuple(body.skus) if body.skus is not None else None,
        active=body.active,
    )
    service.save_coupon(uow, coupon, principal=principal, reason=body.reason)
    uow.commit()
    view = dataclasses.asdict(coupon)
    view["expires_at"] = coupon.expires_at.isoformat() if coupon.expires_at else None
    return {"object": "coupon", **view}


@router.put(
    "/shipping-methods/{code}",
    responses=errors(
        *WITH_BODY, *STAFF, codes={422: ["invalid_code", "invalid_country", "invalid_currency", "validation_error"]}
    ),
)
def put_shipping_method(code: Code, body: PutShippingMethod, principal: Admin, uow: Uow) -> dict[str, Any]:
    method = ShippingMethod(
        code=check_code(code, what="coupon"),
        name=body.name,
        prices=dict(body.prices),
        countries=tuple(body.countries),
        active=body.active,
    )
    service.save_shipping_method(uow, method, principal=principal, reason=body.reason)
    uow.commit()
    return {"object": "shipping_method", **dataclasses.asdict(method)}


@router.put(
    "/tax-rates/{country}",
    responses=errors(*WITH_BODY, *STAFF, codes={422: ["invalid_country", "invalid_tax_rate", "validation_error"]}),
)
def put_tax_rate(country: CountryCode, body: PutTaxRate, principal: Admin, uow: Uow) -> dict[str, Any]:
    rate = TaxRate(country=country, standard_bp=body.standard, reduced_bp=body.reduced)
    service.save_tax_rate(uow, rate, principal=principal, reason=body.reason)
    uow.commit()
    return {"object": "tax_rate", "country": rate.country, "standard": rate.standard_bp, "reduced": rate.reduced_bp}
