"""The demo catalog `checkout-engine run` starts with, so a new user can build a cart at once."""

from __future__ import annotations

from checkout_engine.admin.roles import Principal, Role
from checkout_engine.catalog import repository, service
from checkout_engine.catalog.model import Coupon, Product, ProductKind, ShippingMethod, TaxClass, TaxRate
from checkout_engine.db.unit_of_work import UnitOfWork

DEMO = Principal("demo-seed", Role.ADMIN)
REASON = "demo catalog"

PRODUCTS = (
    Product(
        "TSHIRT-BLUE-M",
        "Blue T-shirt (M)",
        ProductKind.PHYSICAL,
        TaxClass.STANDARD,
        True,
        {"EUR": 1999, "USD": 2199, "JPY": 2900},
    ),
    Product("MUG-LOGO", "Logo mug", ProductKind.PHYSICAL, TaxClass.STANDARD, True, {"EUR": 1250, "USD": 1400}),
    Product(
        "BOOK-CHECKOUT",
        "Checkout Engineering (paperback)",
        ProductKind.PHYSICAL,
        TaxClass.REDUCED,
        True,
        {"EUR": 3490, "USD": 3800},
    ),
    Product(
        "EBOOK-CHECKOUT",
        "Checkout Engineering (e-book)",
        ProductKind.DIGITAL,
        TaxClass.REDUCED,
        True,
        {"EUR": 1990, "USD": 2190, "KWD": 6500},
    ),
)
STOCK = {"TSHIRT-BLUE-M": 50, "MUG-LOGO": 20, "BOOK-CHECKOUT": 5}


def seed_if_empty(uow: UnitOfWork) -> bool:
    """Write the demo catalog unless the shop already has products; True when it wrote."""
    if repository.get_product(uow.connection, PRODUCTS[0].sku) is not None:
        return False
    for product in PRODUCTS:
        service.save_product(uow, product, principal=DEMO, reason=REASON)
    for sku, on_hand in STOCK.items():
        service.set_stock(uow, sku, on_hand, principal=DEMO, reason=REASON)
    service.save_shipping_method(
        uow,
        ShippingMethod(
            "standard", "Standard shipping", {"EUR": 495, "USD": 595, "JPY": 800}, ("DE", "FR", "NL", "US", "JP"), True
        ),
        principal=DEMO,
        reason=REASON,
    )
    for rate in (TaxRate("DE", 1900, 700), TaxRate("FR", 2000, 550), TaxRate("NL", 2100, 900)):
        service.save_tax_rate(uow, rate, principal=DEMO, reason=REASON)
    service.save_coupon(
        uow, Coupon("WELCOME10", 10, None, None, None, 1, None, None, None, True), principal=DEMO, reason=REASON
    )
    return True
