"""Phase one, one transaction: freeze the cart's quote into an order, hold its stock and coupon, and write the
payment attempt row. Either all of it commits with the recovery point, or none of it does.

Each command comes in two steps: its plan reads and judges (a refusal there has written nothing, so the caller
can store it as the answer in the same transaction), then it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from checkout_engine.cart import repository as carts_repo
from checkout_engine.cart import service as carts
from checkout_engine.cart.model import Cart, CartStatus
from checkout_engine.catalog import redemptions
from checkout_engine.catalog import repository as catalog
from checkout_engine.checkout.model import (
    AmountTooSmall,
    CartAlreadyCheckedOut,
    CartEmpty,
    InvalidTotal,
    ItemsUnavailable,
    OrderNotPayable,
    PriceChanged,
    ShippingRequired,
)
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.inventory import service as inventory
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import REOPENABLE, Order, TransitionConflict
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.pricing.model import Quote
from checkout_engine.pricing.service import quote_cart
from checkout_engine.pricing.snapshot import freeze, quote_payload
from checkout_engine.settings import Settings


def _check_quote(quote: Quote, expected_total: int | None, *, minimum_charge: int) -> None:
    if quote.unavailable:
        raise ItemsUnavailable(
            "Some items can no longer be bought; remove them and try again.", details={"skus": list(quote.unavailable)}
        )
    if not quote.lines:
        raise CartEmpty("The cart is empty.")
    if quote.needs_shipping and quote.shipping is None:
        raise ShippingRequired("Choose a shipping address and method before checking out.")
    if quote.total <= 0:
        raise InvalidTotal("The order total must be greater than zero.", details={"total": quote.total})
    if quote.total < minimum_charge:
        raise AmountTooSmall(
            f"The order total is below the smallest payment accepted in {quote.currency}.",
            details={"total": quote.total, "currency": quote.currency, "minimum": minimum_charge},
        )
    if expected_total is not None and expected_total != quote.total:
        raise PriceChanged(
            "The price changed since it was shown; review the new total.",
            details={"expected_total": expected_total, "quote": quote_payload(quote)},
        )
    if quote.short_of_stock:  # judged before any write: a sold-out item's buyers cost a few reads, no lock
        sku = min(quote.short_of_stock)  # the SKU holding them in order would stop at first
        raise inventory.insufficient(sku, next(line.quantity for line in quote.lines if line.sku == sku))


@dataclass(frozen=True, slots=True)
class OrderPlan:
    cart: Cart  # locked for this transaction
    quote: Quote  # judged fit to become an order


def plan_order(
    uow: UnitOfWork, *, cart_id: str, expected_total: int | None, minimum_charge: Callable[[str], int]
) -> OrderPlan:
    """Lock the cart and judge its quote; refusals are raised here, before any write. ``minimum_charge``: the
    provider's smallest payment by currency, so a total it would refuse holds nothing."""
    conn = uow.connection
    cart = carts.get_cart(uow, cart_id, for_update=True)  # one checkout per cart at a time
    if cart.status is CartStatus.FROZEN:
        existing = orders_repo.order_for_cart(conn, cart.id)
        raise CartAlreadyCheckedOut(
            "This cart has already been checked out.", details={"order_id": existing.id if existing else None}
        )
    quote = quote_cart(conn, cart)
    _check_quote(quote, expected_total, minimum_charge=minimum_charge(quote.currency))
    return OrderPlan(cart, quote)


def create_order(uow: UnitOfWork, plan: OrderPlan, *, settings: Settings) -> tuple[dict[str, Any], PaymentAttempt]:
    """The planned order, its holds and its first attempt. The stock hold may still refuse (another buyer took the
    last unit since the quote was read): the caller's transaction then rolls everything back."""
    conn, cart, quote = uow.connection, plan.cart, plan.quote
    carts_repo.update_cart(conn, cart.id, status=CartStatus.FROZEN.value)
    address = cart.shipping_address.as_dict() if cart.shipping_address and quote.needs_shipping else None
    expires_at = utcnow() + timedelta(seconds=settings.reservation_ttl_seconds)
    recent = orders_repo.recent_count(
        conn, customer_id=cart.customer_id, email=cart.email, since=utcnow() - timedelta(hours=1)
    )
    order, token = orders.create_order(
        uow,
        cart_id=cart.id,
        snapshot=freeze(quote, shipping_address=address),
        customer_id=cart.customer_id,
        email=cart.email,
        expires_at=expires_at,
    )
    if recent >= settings.velocity_limit_per_hour:  # held for a person to look at before fulfilment, not dropped
        order = orders.flag_for_review(
            uow, order, reason=f"velocity: {recent + 1} checkouts within an hour", actor="checkout"
        )
    inventory.reserve(
        uow, order_id=order.id, lines=[(line.sku, line.quantity) for line in quote.lines], expires_at=expires_at
    )
    if quote.coupon_code and quote.coupon_rejection is None:
        coupon = catalog.get_coupon(conn, quote.coupon_code)
        assert coupon is not None
        redemptions.reserve(
            conn, coupon, order_id=order.id, customer=redemptions.customer_key(cart.customer_id, cart.email)
        )
    attempt = attempts.create(
        conn, order_id=order.id, provider=settings.provider, amount=order.total, currency=order.currency
    )
    recovery = {
        "order_id": order.id,
        "attempt_id": attempt.id,
        "order_token": token,
        "reservation_expires_at": expires_at.isoformat(),
    }
    return recovery, attempt


def plan_reopen(uow: UnitOfWork, *, order_id: str) -> Order:
    """The order, if it can take a new payment attempt; refused here, before any write, if not."""
    order = orders.get_order(uow, order_id)
    if order.state not in REOPENABLE:
        raise OrderNotPayable(
            f"An order in state {order.state} cannot take a new payment attempt.", details={"state": order.state.value}
        )
    return order


def reopen_order(uow: UnitOfWork, order: Order, *, settings: Settings) -> tuple[dict[str, Any], PaymentAttempt]:
    """A new attempt for a failed or expired order: hold its stock (and coupon) again and write the attempt row."""
    conn = uow.connection
    expires_at = utcnow() + timedelta(seconds=settings.reservation_ttl_seconds)
    # Writing first takes the row: a concurrent reopen of the same order waits for us, then fails the CAS.
    if orders_repo.compare_and_set(conn, order, expires_at=expires_at) is None:
        raise TransitionConflict("The order changed while this request was being handled; retry.")
    latest = attempts.latest_for_order(conn, order.id)
    if latest is not None and latest.status == attempts.CREATING:
        raise OrderNotPayable("A payment attempt for this order is already being created.")
    snapshot = orders_repo.snapshot_for(conn, order.id)
    assert snapshot is not None
    inventory.release(uow, order.id)
    inventory.reserve(
        uow,
        order_id=order.id,
        expires_at=expires_at,
        lines=[(line["sku"], line["quantity"]) for line in snapshot.payload["lines"]],
    )
    coupon_code = (snapshot.payload.get("coupon") or {}).get("code")
    if coupon_code and snapshot.payload["coupon"]["applied"]:
        coupon = catalog.get_coupon(conn, coupon_code)
        if coupon is not None:
            redemptions.reserve(
                conn, coupon, order_id=order.id, customer=redemptions.customer_key(order.customer_id, order.email)
            )
    attempt = attempts.create(
        conn, order_id=order.id, provider=settings.provider, amount=snapshot.total, currency=snapshot.currency
    )
    recovery = {"order_id": order.id, "attempt_id": attempt.id, "reservation_expires_at": expires_at.isoformat()}
    return recovery, attempt
