"""Builders for orders in any state, written through the real repositories."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine

from checkout_engine.cart import service as carts
from checkout_engine.catalog.model import ProductKind
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders import repository
from checkout_engine.orders.model import Order, OrderState
from checkout_engine.orders.service import create_order
from checkout_engine.pricing.model import Quote, QuoteLine
from checkout_engine.pricing.snapshot import freeze


def a_snapshot_quote(currency: str = "EUR") -> Quote:
    line = QuoteLine("BOOK-1", "A book", ProductKind.PHYSICAL, 2, 1500, 3000, 0, 700, 210)
    return Quote(currency, (line,), None, None, None, "DE")


def make_order(engine: Engine, state: OrderState = OrderState.DRAFT) -> Order:
    """A committed order in ``state`` (placed there directly, as if its history had happened)."""
    with UnitOfWork(engine) as uow:
        cart = carts.create_cart(uow, currency="EUR", customer_id="cus_1", email="ada@example.com", country="DE")
        order, _token = create_order(
            uow,
            cart_id=cart.id,
            snapshot=freeze(a_snapshot_quote(), shipping_address=None),
            customer_id=cart.customer_id,
            email=cart.email,
        )
        if state is not OrderState.DRAFT:
            placed = repository.compare_and_set(uow.connection, order, state=state.value)
            assert placed is not None
            order = placed
        uow.commit()
    return replace(order)
