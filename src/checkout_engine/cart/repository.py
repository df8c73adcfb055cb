"""SQL for carts. Functions take the unit of work's connection; none of them commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.cart.attempts import Count, Scope, window_start_cutoff
from checkout_engine.cart.model import Cart, CartLine, CartStatus, ShippingAddress
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import cart_lines, carts, coupon_failures
from checkout_engine.db.types import UtcDateTime
from checkout_engine.db.upsert import dialect_insert, upsert


def insert_cart(conn: sa.Connection, cart: Cart) -> None:
    conn.execute(
        carts.insert(),
        dict(
            id=cart.id,
            currency=cart.currency,
            customer_id=cart.customer_id,
            email=cart.email,
            country=cart.country,
            status=cart.status.value,
            coupon_code=cart.coupon_code,
            shipping_address=None,
            shipping_method=None,
            version=cart.version,
            created_at=cart.created_at,
            updated_at=cart.updated_at,
        ),
    )


def get_cart(conn: sa.Connection, cart_id: str, *, for_update: bool = False) -> Cart | None:
    """The cart with its lines; ``for_update`` locks the row so concurrent edits of one cart queue up."""
    query = sa.select(carts).where(carts.c.id == cart_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    lines = conn.execute(
        sa.select(cart_lines.c.sku, cart_lines.c.quantity)
        .where(cart_lines.c.cart_id == cart_id)
        .order_by(cart_lines.c.position, cart_lines.c.sku)
    ).all()
    return _cart(row, tuple(CartLine(sku, quantity) for sku, quantity in lines))


def cart_exists(conn: sa.Connection, cart_id: str) -> bool:
    return conn.execute(sa.select(carts.c.id).where(carts.c.id == cart_id)).first() is not None


def _cart(row: sa.RowMapping, lines: tuple[CartLine, ...]) -> Cart:
    address: dict[str, Any] | None = row["shipping_address"]
    return Cart(
        id=row["id"],
        currency=row["currency"],
        customer_id=row["customer_id"],
        email=row["email"],
        country=row["country"],
        status=CartStatus(row["status"]),
        lines=lines,
        coupon_code=row["coupon_code"],
        shipping_address=ShippingAddress(**address) if address else None,
        shipping_method=row["shipping_method"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def set_line(conn: sa.Connection, cart_id: str, sku: str, quantity: int) -> None:
    if quantity == 0:
        conn.execute(cart_lines.delete().where(cart_lines.c.cart_id == cart_id, cart_lines.c.sku == sku))
        return
    next_position = sa.select(sa.func.coalesce(sa.func.max(cart_lines.c.position), -1) + 1).where(
        cart_lines.c.cart_id == cart_id
    )
    position = conn.execute(next_position).scalar_one()
    values = {"cart_id": cart_id, "sku": sku, "quantity": quantity, "position": position}
    upsert(conn, cart_lines, values, keys=["cart_id", "sku"], insert_only=["position"])


def update_cart(conn: sa.Connection, cart_id: str, **fields: Any) -> None:
    """Change cart fields and bump its version, so every change is visible to a compare-and-set reader."""
    conn.execute(
        carts.update().where(carts.c.id == cart_id).values(**fields, version=carts.c.version + 1, updated_at=utcnow())
    )


def count_coupon_failure(conn: sa.Connection, scope: Scope, key: str, *, now: datetime, window_seconds: int) -> Count:
    """One more failure in the key's window, in one statement: the upsert returns the count it wrote, and on
    PostgreSQL it holds the row's lock until commit, so concurrent attempts under one key are counted one by one.
    A window that has ended starts again at ``now`` with this failure."""
    table = coupon_failures
    ended = table.c.window_started_at <= window_start_cutoff(now, window_seconds)
    statement = dialect_insert(conn, table).values(scope=scope.value, key=key, window_started_at=now, failures=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.key],
        set_={
            "failures": sa.case((ended, 1), else_=table.c.failures + 1),
            "window_started_at": sa.case((ended, sa.literal(now, UtcDateTime())), else_=table.c.window_started_at),
        },
    )
    failures, started_at = conn.execute(statement.returning(table.c.failures, table.c.window_started_at)).one()
    return Count(scope, failures, started_at)


def forgive_coupon_failure(conn: sa.Connection, scope: Scope, key: str) -> None:
    """Give back the slot an attempt took (the code applied); the row is still locked by this transaction."""
    table = coupon_failures
    conn.execute(
        table.update()
        .where(table.c.scope == scope.value, table.c.key == key, table.c.failures > 0)
        .values(failures=table.c.failures - 1)
    )
