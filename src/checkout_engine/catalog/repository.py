"""SQL for the catalog. Functions take the unit of work's connection; none of them commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from checkout_engine.catalog.model import (
    Coupon,
    Product,
    ProductKind,
    ShippingMethod,
    StockLevel,
    TaxClass,
    TaxRate,
)
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import (
    coupons,
    inventory,
    product_prices,
    products,
    shipping_methods,
    tax_rates,
)
from checkout_engine.db.upsert import upsert


def save_product(conn: sa.Connection, product: Product) -> None:
    now = utcnow()
    values = {
        "sku": product.sku,
        "name": product.name,
        "kind": product.kind.value,
        "tax_class": product.tax_class.value,
        "active": product.active,
        "updated_at": now,
    }
    upsert(conn, products, {**values, "created_at": now}, keys=["sku"])
    conn.execute(product_prices.delete().where(product_prices.c.sku == product.sku))
    if product.prices:
        conn.execute(
            product_prices.insert(),
            [{"sku": product.sku, "currency": c, "unit_amount": a} for c, a in sorted(product.prices.items())],
        )


def get_products(conn: sa.Connection, skus: Iterable[str]) -> dict[str, Product]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    # One round trip: each product once per price (or once with no price), with its free stock, folded back
    # together below.
    rows = conn.execute(
        sa.select(
            products,
            product_prices.c.currency,
            product_prices.c.unit_amount,
            (inventory.c.on_hand - inventory.c.reserved).label("available"),
        )
        .select_from(
            products.outerjoin(product_prices, product_prices.c.sku == products.c.sku).outerjoin(
                inventory, inventory.c.sku == products.c.sku
            )
        )
        .where(products.c.sku.in_(wanted))
    ).mappings()
    found: dict[str, Product] = {}
    for row in rows:
        product = found.setdefault(
            row["sku"],
            Product(
                sku=row["sku"],
                name=row["name"],
                kind=ProductKind(row["kind"]),
                tax_class=TaxClass(row["tax_class"]),
                active=row["active"],
                prices={},
                available=row["available"],
            ),
        )
        if row["currency"] is not None:
            product.prices[row["currency"]] = row["unit_amount"]
    return found


def get_product(conn: sa.Connection, sku: str) -> Product | None:
    return get_products(conn, [sku]).get(sku)


def get_stock(conn: sa.Connection, skus: Iterable[str]) -> dict[str, StockLevel]:
    rows = conn.execute(sa.select(inventory).where(inventory.c.sku.in_(sorted(set(skus))))).mappings()
    return {row["sku"]: StockLevel(row["sku"], row["on_hand"], row["reserved"]) for row in rows}


def set_on_hand(conn: sa.Connection, sku: str, on_hand: int) -> bool:
    """Set the counted stock; refused (False) when it would drop below what is already reserved."""
    values = {"sku": sku, "on_hand": on_hand, "reserved": 0, "updated_at": utcnow()}
    return upsert(
        conn, inventory, values, keys=["sku"], insert_only=["reserved"], where=inventory.c.reserved <= on_hand
    )


def save_coupon(conn: sa.Connection, coupon: Coupon) -> None:
    now = utcnow()
    values: dict[str, Any] = {
        "code": coupon.code,
        "percent_off": coupon.percent_off,
        "amount_off": coupon.amount_off,
        "currency": coupon.currency,
        "max_redemptions": coupon.max_redemptions,
        "max_per_customer": coupon.max_per_customer,
        "expires_at": coupon.expires_at,
        "min_subtotal": coupon.min_subtotal,
        "skus": list(coupon.skus) if coupon.skus is not None else None,
        "active": coupon.active,
        "updated_at": now,
    }
    upsert(conn, coupons, {**values, "created_at": now}, keys=["code"])


def get_coupon(conn: sa.Connection, code: str) -> Coupon | None:
    row = conn.execute(sa.select(coupons).where(coupons.c.code == code)).mappings().first()
    if row is None:
        return None
    return Coupon(
        code=row["code"],
        percent_off=row["percent_off"],
        amount_off=row["amount_off"],
        currency=row["currency"],
        max_redemptions=row["max_redemptions"],
        max_per_customer=row["max_per_customer"],
        expires_at=row["expires_at"],
        min_subtotal=row["min_subtotal"],
        skus=tuple(row["skus"]) if row["skus"] is not None else None,
        active=row["active"],
    )


def save_shipping_method(conn: sa.Connection, method: ShippingMethod) -> None:
    now = utcnow()
    values = {
        "code": method.code,
        "name": method.name,
        "prices": dict(sorted(method.prices.items())),
        "countries": sorted(method.countries),
        "active": method.active,
        "updated_at": now,
    }
    upsert(conn, shipping_methods, {**values, "created_at": now}, keys=["code"])


def get_shipping_method(conn: sa.Connection, code: str) -> ShippingMethod | None:
    row = conn.execute(sa.select(shipping_methods).where(shipping_methods.c.code == code)).mappings().first()
    if row is None:
        return None
    return ShippingMethod(
        code=row["code"],
        name=row["name"],
        prices=dict(row["prices"]),
        countries=tuple(row["countries"]),
        active=row["active"],
    )


def save_tax_rate(conn: sa.Connection, rate: TaxRate) -> None:
    values = {
        "country": rate.country,
        "standard_bp": rate.standard_bp,
        "reduced_bp": rate.reduced_bp,
        "updated_at": utcnow(),
    }
    upsert(conn, tax_rates, values, keys=["country"])


def get_tax_rate(conn: sa.Connection, country: str) -> TaxRate | None:
    row = conn.execute(sa.select(tax_rates).where(tax_rates.c.country == country)).mappings().first()
    if row is None:
        return None
    return TaxRate(row["country"], row["standard_bp"], row["reduced_bp"])
