"""Cart commands. Each takes the unit of work, locks the cart it changes, and leaves committing to the caller
(except a refused coupon, whose failure record must survive the refusal)."""

from __future__ import annotations

import structlog

from checkout_engine.cart import attempts
from checkout_engine.cart import repository as repo
from checkout_engine.cart.attempts import Scope
from checkout_engine.cart.model import Cart, CartStatus, ShippingAddress, check_quantity
from checkout_engine.catalog import repository as catalog
from checkout_engine.catalog.model import ProductKind, check_sku, is_country
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Invalid, NotFound
from checkout_engine.ids import new_id
from checkout_engine.money import is_currency
from checkout_engine.pricing.calculator import coupon_rejection
from checkout_engine.pricing.service import load_context
from checkout_engine.settings import Settings

log = structlog.get_logger(__name__)

# One answer for every code that cannot be applied: naming the reason would tell a guesser which codes exist.
COUPON_REFUSED_MESSAGE = (
    "This coupon code cannot be applied to this cart. Check the code as written, its expiry date, and whether "
    "it asks for a minimum order value, certain items or another currency."
)


def create_cart(
    uow: UnitOfWork, *, currency: str, customer_id: str | None, email: str | None, country: str | None
) -> Cart:
    if not is_currency(currency):
        raise Invalid(
            f"{currency!r} is not an ISO 4217 currency code.",
            code="invalid_currency",
            details={"currency": currency[:8]},
        )
    if country is not None and not is_country(country):
        raise Invalid(
            f"{country!r} is not an ISO 3166 alpha-2 country code.",
            code="invalid_country",
            details={"country": country[:8]},
        )
    now = utcnow()
    cart = Cart(
        id=new_id("cart"),
        currency=currency,
        customer_id=customer_id,
        email=email,
        country=country,
        status=CartStatus.OPEN,
        lines=(),
        coupon_code=None,
        shipping_address=None,
        shipping_method=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repo.insert_cart(uow.connection, cart)
    return cart


def get_cart(uow: UnitOfWork, cart_id: str, *, for_update: bool = False) -> Cart:
    cart = repo.get_cart(uow.connection, cart_id, for_update=for_update)
    if cart is None:
        raise NotFound("No such cart.", code="cart_not_found")
    return cart


def require_cart(uow: UnitOfWork, cart_id: str) -> None:
    """404 for an unknown cart, without loading it."""
    if not repo.cart_exists(uow.connection, cart_id):
        raise NotFound("No such cart.", code="cart_not_found")


def _open_cart(uow: UnitOfWork, cart_id: str) -> Cart:
    cart = get_cart(uow, cart_id, for_update=True)
    cart.ensure_open()
    return cart


def set_item(uow: UnitOfWork, cart_id: str, sku: str, quantity: int) -> Cart:
    check_sku(sku)
    check_quantity(quantity)
    cart = _open_cart(uow, cart_id)
    cart.with_quantity(sku, quantity)  # enforces the cart's own limits before we touch stock
    if quantity > 0:
        _check_sellable(uow, cart, sku, quantity)
    repo.set_line(uow.connection, cart.id, sku, quantity)
    repo.update_cart(uow.connection, cart.id)
    return get_cart(uow, cart.id)


def _check_sellable(uow: UnitOfWork, cart: Cart, sku: str, quantity: int) -> None:
    conn = uow.connection
    product = catalog.get_product(conn, sku)
    if product is None or not product.active:
        raise Invalid(f"There is no product {sku} for sale.", code="unknown_sku", details={"sku": sku})
    if product.price_in(cart.currency) is None:
        raise Invalid(
            f"{sku} is not sold in {cart.currency}.",
            code="unknown_sku",
            details={"sku": sku, "reason": "not_priced_in_currency", "currency": cart.currency},
        )
    stock = catalog.get_stock(conn, [sku]).get(sku)
    # Physical goods are always stock-tracked; a digital product only when the shop gave it a stock row
    # (licence seats, limited editions).
    if stock is None and product.kind is ProductKind.DIGITAL:
        return
    available = stock.available if stock else 0
    if quantity > available:
        raise Invalid(
            f"Only {max(available, 0)} of {sku} available.",
            code="insufficient_inventory",
            details={"sku": sku, "requested": quantity, "available": max(available, 0)},
        )


def set_shipping(uow: UnitOfWork, cart_id: str, address: ShippingAddress, method_code: str) -> Cart:
    if not is_country(address.country):
        raise Invalid(
            f"{address.country!r} is not an ISO 3166 alpha-2 country code.",
            code="invalid_country",
            details={"country": address.country[:8]},
        )
    cart = _open_cart(uow, cart_id)
    method = catalog.get_shipping_method(uow.connection, method_code)
    if method is None or not method.active:
        raise Invalid(
            f"There is no shipping method {method_code}.",
            code="invalid_shipping_method",
            details={"method": method_code[:64]},
        )
    if not method.ships_to(address.country) or cart.currency not in method.prices:
        raise Invalid(
            f"{method.name} does not ship to {address.country} in {cart.currency}.",
            code="shipping_unavailable",
            details={"method": method.code, "country": address.country, "currency": cart.currency},
        )
    repo.update_cart(uow.connection, cart.id, shipping_address=address.as_dict(), shipping_method=method.code)
    return get_cart(uow, cart.id)


def apply_coupon(uow: UnitOfWork, cart_id: str, code: str, *, client_address: str | None, settings: Settings) -> Cart:
    """Put the coupon on the cart. Every code that cannot be applied gets the same answer, whether it exists or
    not (no enumeration oracle); the reason goes to the log. The attempt is counted before the code is looked at."""
    cart = _open_cart(uow, cart_id)
    taken = _take_attempt(uow, cart.id, client_address, settings)
    reason = _coupon_refusal(uow, cart, code)
    if reason is not None:
        uow.commit()  # the failure must count even though the request is refused
        log.info("coupon_refused", reason=reason, code=code[:64])
        raise Invalid(COUPON_REFUSED_MESSAGE, code="invalid_coupon")
    for scope, key in taken:  # a code that applies is no guess: the attempt costs nothing
        repo.forgive_coupon_failure(uow.connection, scope, key)
    repo.update_cart(uow.connection, cart.id, coupon_code=code)
    return get_cart(uow, cart.id)


def _take_attempt(
    uow: UnitOfWork, cart_id: str, client_address: str | None, settings: Settings
) -> list[tuple[Scope, str]]:
    """One slot per scope, or 429; a refused request rolls back, so the slots it took are not kept."""
    now, window = utcnow(), settings.coupon_failure_window_seconds
    taken = attempts.scopes_for(cart_id, client_address)
    for scope, key in taken:
        count = repo.count_coupon_failure(uow.connection, scope, key, now=now, window_seconds=window)
        if count.failures > settings.coupon_failure_limit:
            log.warning("coupon_attempts_limited", scope=scope.value, failures=count.failures)
        attempts.refuse_if_over(count, limit=settings.coupon_failure_limit, now=now, window_seconds=window)
    return taken


def _coupon_refusal(uow: UnitOfWork, cart: Cart, code: str) -> str | None:
    """Why the code cannot be applied (``unknown_code`` or a pricing rejection), or None when it can."""
    context = load_context(uow.connection, cart)  # loaded for unknown codes too, so the answer takes as long
    coupon = catalog.get_coupon(uow.connection, code)
    if coupon is None:
        return "unknown_code"
    rejection = coupon_rejection(context, coupon)
    return rejection.value if rejection else None


def remove_coupon(uow: UnitOfWork, cart_id: str) -> Cart:
    cart = _open_cart(uow, cart_id)
    repo.update_cart(uow.connection, cart.id, coupon_code=None)
    return get_cart(uow, cart.id)
