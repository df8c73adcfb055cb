"""Coupon redemptions: reserved at checkout, consumed when the order is paid, released when it fails or expires.

Limits are checked under a lock on the coupon's row, so twenty checkouts racing for the last three redemptions
redeem exactly three.
"""

from __future__ import annotations

from enum import Enum

import sqlalchemy as sa

from checkout_engine.catalog.model import Coupon
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import coupon_redemptions, coupons
from checkout_engine.errors import Conflict

R = coupon_redemptions
HOLDING = ("reserved", "consumed")


class CouponUnavailable(Conflict):
    code = "coupon_unavailable"


def customer_key(customer_id: str | None, email: str | None) -> str | None:
    if customer_id:
        return f"customer:{customer_id}"
    return f"email:{email.strip().lower()}" if email else None


def reserve(conn: sa.Connection, coupon: Coupon, *, order_id: str, customer: str | None) -> None:
    """Hold one redemption for the order (again, if an earlier one was released) within the coupon's limits."""
    conn.execute(sa.select(coupons.c.code).where(coupons.c.code == coupon.code).with_for_update())
    existing = conn.execute(sa.select(R.c.status).where(R.c.order_id == order_id)).scalar()
    if existing in HOLDING:
        return
    held = sa.select(sa.func.count()).select_from(R).where(R.c.coupon_code == coupon.code, R.c.status.in_(HOLDING))
    if coupon.max_redemptions is not None and conn.execute(held).scalar_one() >= coupon.max_redemptions:
        raise CouponUnavailable("This coupon has been used up.", details={"code": coupon.code})
    if coupon.max_per_customer is not None and customer is not None:
        mine = held.where(R.c.customer_key == customer)
        if conn.execute(mine).scalar_one() >= coupon.max_per_customer:
            raise CouponUnavailable("You have already used this coupon.", details={"code": coupon.code})
    now = utcnow()
    if existing is not None:  # released earlier (failed or expired): the same row holds the redemption again
        conn.execute(R.update().where(R.c.order_id == order_id).values(status="reserved", updated_at=now))
        return
    conn.execute(
        R.insert(),
        dict(
            coupon_code=coupon.code,
            order_id=order_id,
            customer_key=customer,
            status="reserved",
            created_at=now,
            updated_at=now,
        ),
    )


def _move(conn: sa.Connection, order_id: str, to: str) -> bool:
    result = conn.execute(
        R.update()
        .where(R.c.order_id == order_id, R.c.status == "reserved")
        .values(status=to, updated_at=utcnow())
        .returning(R.c.id)
    )
    return result.first() is not None


class Spent(Enum):
    NO_COUPON = "no_coupon"
    CONSUMED = "consumed"
    OVER_LIMIT = "over_limit"  # spent all the same: the customer paid at its price


def consume(conn: sa.Connection, order_id: str) -> Spent:
    """The order was paid: its redemption is spent. One given back earlier (the order expired or was cancelled, and
    its payment succeeded after all) is taken again under the coupon's lock, within its limits if it can be."""
    # Read first: most orders have no coupon, and then this is the only statement.
    row = conn.execute(sa.select(R).where(R.c.order_id == order_id)).mappings().first()
    if row is None:
        return Spent.NO_COUPON
    if row["status"] == "consumed" or (row["status"] == "reserved" and _move(conn, order_id, "consumed")):
        return Spent.CONSUMED
    # Given back, before we looked or since (the expiry sweep):
    conn.execute(sa.select(coupons.c.code).where(coupons.c.code == row["coupon_code"]).with_for_update())
    limit = conn.execute(sa.select(coupons.c.max_redemptions).where(coupons.c.code == row["coupon_code"])).scalar()
    held = redeemed_count(conn, row["coupon_code"])
    conn.execute(R.update().where(R.c.id == row["id"]).values(status="consumed", updated_at=utcnow()))
    return Spent.OVER_LIMIT if limit is not None and held >= limit else Spent.CONSUMED


def release(conn: sa.Connection, order_id: str) -> bool:
    return _move(conn, order_id, "released")


def redeemed_count(conn: sa.Connection, code: str) -> int:
    query = sa.select(sa.func.count()).select_from(R).where(R.c.coupon_code == code, R.c.status.in_(HOLDING))
    return int(conn.execute(query).scalar_one())
