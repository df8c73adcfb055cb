from datetime import UTC, datetime

import pytest

from checkout_engine.cart.model import MAX_LINES, MAX_QUANTITY, Cart, CartLine, CartStatus
from checkout_engine.errors import Conflict, Invalid

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def cart(*lines: CartLine, status: CartStatus = CartStatus.OPEN) -> Cart:
    return Cart("cart_x", "EUR", None, None, None, status, lines, None, None, None, 1, NOW, NOW)


def test_setting_a_quantity_adds_updates_and_removes_lines_in_order() -> None:
    c = cart().with_quantity("A", 2).with_quantity("B", 1).with_quantity("A", 5)
    assert c.lines == (CartLine("A", 5), CartLine("B", 1))
    assert c.with_quantity("A", 0).lines == (CartLine("B", 1),)


@pytest.mark.parametrize("quantity", [-1, MAX_QUANTITY + 1, 10**9])
def test_quantities_outside_zero_to_a_thousand_are_refused(quantity: int) -> None:
    with pytest.raises(Invalid) as refused:
        cart().with_quantity("A", quantity)
    assert refused.value.code == "invalid_quantity"


def test_a_cart_holds_at_most_a_hundred_lines_but_existing_lines_can_still_change() -> None:
    full = cart(*(CartLine(f"SKU-{i}", 1) for i in range(MAX_LINES)))
    with pytest.raises(Invalid) as refused:
        full.with_quantity("ONE-MORE", 1)
    assert refused.value.code == "too_many_lines"
    assert full.with_quantity("SKU-0", 7).quantity_of("SKU-0") == 7


def test_a_frozen_cart_refuses_changes() -> None:
    with pytest.raises(Conflict) as refused:
        cart(status=CartStatus.FROZEN).ensure_open()
    assert refused.value.code == "cart_frozen"
