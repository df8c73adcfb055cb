"""Catalog commands: each opens no transaction of its own, writes through the unit of work and audits itself."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from checkout_engine.admin.roles import Principal
from checkout_engine.audit import repository as audit
from checkout_engine.catalog import repository as repo
from checkout_engine.catalog.model import Coupon, Product, ShippingMethod, StockLevel, TaxRate, check_sku
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Conflict, NotFound


def _jsonable(record: object | None) -> dict[str, Any] | None:
    if record is None:
        return None

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, tuple):
            return [convert(v) for v in value]
        return value

    assert dataclasses.is_dataclass(record) and not isinstance(record, type)
    return {field.name: convert(getattr(record, field.name)) for field in dataclasses.fields(record)}


def save_product(uow: UnitOfWork, product: Product, *, principal: Principal, reason: str) -> Product:
    conn = uow.connection
    before = repo.get_product(conn, check_sku(product.sku))
    repo.save_product(conn, product)
    audit.record(
        conn,
        principal=principal,
        action="product.upsert",
        target=("product", product.sku),
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(product),
    )
    return product


def stock_level(uow: UnitOfWork, sku: str) -> StockLevel:
    conn = uow.connection
    if repo.get_product(conn, check_sku(sku)) is None:
        raise NotFound(f"No product with SKU {sku}.", code="unknown_sku", details={"sku": sku})
    return repo.get_stock(conn, [sku]).get(sku, StockLevel(sku, 0, 0))


def set_stock(uow: UnitOfWork, sku: str, on_hand: int, *, principal: Principal, reason: str) -> StockLevel:
    before = stock_level(uow, sku)
    if not repo.set_on_hand(uow.connection, sku, on_hand):
        raise Conflict(
            f"{before.reserved} units of {sku} are reserved by open checkouts; on_hand cannot go below that.",
            code="on_hand_below_reserved",
            details={"sku": sku, "reserved": before.reserved, "requested_on_hand": on_hand},
        )
    after = stock_level(uow, sku)
    audit.record(
        uow.connection,
        principal=principal,
        action="inventory.set",
        target=("product", sku),
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    return after


def save_coupon(uow: UnitOfWork, coupon: Coupon, *, principal: Principal, reason: str) -> Coupon:
    conn = uow.connection
    before = repo.get_coupon(conn, coupon.code)
    repo.save_coupon(conn, coupon)
    audit.record(
        conn,
        principal=principal,
        action="coupon.upsert",
        target=("coupon", coupon.code),
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(coupon),
    )
    return coupon


def save_shipping_method(
    uow: UnitOfWork, method: ShippingMethod, *, principal: Principal, reason: str
) -> ShippingMethod:
    conn = uow.connection
    before = repo.get_shipping_method(conn, method.code)
    repo.save_shipping_method(conn, method)
    audit.record(
        conn,
        principal=principal,
        action="shipping_method.upsert",
        target=("shipping_method", method.code),
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(method),
    )
    return method


def save_tax_rate(uow: UnitOfWork, rate: TaxRate, *, principal: Principal, reason: str) -> TaxRate:
    conn = uow.connection
    before = repo.get_tax_rate(conn, rate.country)
    repo.save_tax_rate(conn, rate)
    audit.record(
        conn,
        principal=principal,
        action="tax_rate.upsert",
        target=("tax_rate", rate.country),
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(rate),
    )
    return rate
