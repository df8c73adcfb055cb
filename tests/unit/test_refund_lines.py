"""Refunds by line: each unit's share of a line's total, whatever order and grouping the units are refunded in,
adds up to exactly the line's total and never beyond it."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout_engine.refunds.lines import (
    LineAsk,
    RefundedBefore,
    RefundExceedsLine,
    RefundLineUnknown,
    ShippingAlreadyRefunded,
    share,
)


def snapshot(quantity: int, total: int, shipping: int = 495) -> dict[str, Any]:
    return {"lines": [{"sku": "SHIRT", "quantity": quantity, "total": total}], "shipping_total": shipping}


@given(
    quantity=st.integers(1, 50),
    total=st.integers(0, 10**9),
    cuts=st.lists(st.integers(1, 50), max_size=50),
)
def test_any_split_of_a_line_gives_back_exactly_its_total(quantity: int, total: int, cuts: list[int]) -> None:
    frozen = snapshot(quantity, total)
    done, refunded, records = 0, 0, []
    for cut in cuts:
        n = min(cut, quantity - done)
        if n == 0:
            break
        before = RefundedBefore.of(records)
        made = share(frozen, [LineAsk("SHIRT", n)], shipping=False, before=before)
        assert 0 <= made.amount <= total - refunded
        records.append(([line.as_json() for line in made.lines], None))
        done, refunded = done + n, refunded + made.amount
    if done < quantity:
        rest = share(frozen, [LineAsk("SHIRT", quantity - done)], shipping=False, before=RefundedBefore.of(records))
        refunded += rest.amount
    assert refunded == total


def test_more_than_bought_an_unknown_line_and_shipping_twice_are_refused() -> None:
    frozen = snapshot(2, 4000)
    nothing = RefundedBefore({}, shipping=False)
    with pytest.raises(RefundExceedsLine):
        share(frozen, [LineAsk("SHIRT", 1), LineAsk("SHIRT", 2)], shipping=False, before=nothing)
    with pytest.raises(RefundExceedsLine):
        share(frozen, [LineAsk("SHIRT", 1)], shipping=False, before=RefundedBefore({"SHIRT": 2}, shipping=False))
    with pytest.raises(RefundLineUnknown):
        share(frozen, [LineAsk("BOOK", 1)], shipping=False, before=nothing)
    with pytest.raises(ShippingAlreadyRefunded):
        share(frozen, [], shipping=True, before=RefundedBefore({}, shipping=True))
    made = share(frozen, [], shipping=True, before=nothing)
    assert (made.amount, made.shipping, made.lines) == (495, 495, ())
