"""A refund by line: what returning some units of some lines (and the shipping) is worth, read off the order's
frozen pricing snapshot. Pure: the caller passes what was refunded by line before.

A line's total (its subtotal less its discount plus its tax) is shared out over its units so that the units'
shares always add up to the line's total, whatever the order they are refunded in: the first ``k`` units of a line
of ``q`` units that cost ``t`` are worth ``t * k // q``, so units ``k+1..k+n`` are worth
``t * (k+n) // q - t * k // q``. Refunding every unit, one by one or all at once, gives back exactly ``t``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from checkout_engine.errors import Invalid


class RefundLineUnknown(Invalid):
    code = "refund_line_unknown"


class RefundExceedsLine(Invalid):
    code = "refund_exceeds_line"


class ShippingAlreadyRefunded(Invalid):
    code = "shipping_already_refunded"


@dataclass(frozen=True, slots=True)
class LineAsk:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class RefundedLine:
    sku: str
    quantity: int
    amount: int

    def as_json(self) -> dict[str, Any]:
        return {"sku": self.sku, "quantity": self.quantity, "amount": self.amount}


@dataclass(frozen=True, slots=True)
class LineRefund:
    lines: tuple[RefundedLine, ...]
    shipping: int | None  # None: the shipping was not asked for

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines) + (self.shipping or 0)


@dataclass(frozen=True, slots=True)
class RefundedBefore:
    """What earlier refunds of the order (requested, pending or done) gave back by line."""

    units: Mapping[str, int]
    shipping: bool

    @classmethod
    def of(cls, records: Iterable[tuple[list[dict[str, Any]] | None, int | None]]) -> RefundedBefore:
        """From each earlier refund's ``(lines, shipping_amount)``."""
        units: Counter[str] = Counter()
        shipping = False
        for lines, shipping_amount in records:
            for line in lines or ():
                units[line["sku"]] += int(line["quantity"])
            shipping = shipping or shipping_amount is not None
        return cls(units, shipping)


def _merged(asked: Iterable[LineAsk]) -> Counter[str]:
    wanted: Counter[str] = Counter()
    for ask in asked:
        wanted[ask.sku] += ask.quantity
    return wanted


def share(
    snapshot: Mapping[str, Any], asked: Iterable[LineAsk], *, shipping: bool, before: RefundedBefore
) -> LineRefund:
    """The lines' and the shipping's share of the snapshot's totals. Refuses a SKU the order did not buy, more units
    than remain of a line, and shipping refunded twice."""
    bought = {line["sku"]: line for line in snapshot["lines"]}
    refunded: list[RefundedLine] = []
    for sku, quantity in sorted(_merged(asked).items()):
        line = bought.get(sku)
        if line is None:
            raise RefundLineUnknown(f"This order has no line {sku!r}.", details={"sku": sku, "skus": sorted(bought)})
        done, of = before.units.get(sku, 0), int(line["quantity"])
        if done + quantity > of:
            raise RefundExceedsLine(
                f"Only {of - done} of {of} {sku} can still be refunded.",
                details={"sku": sku, "requested": quantity, "refundable_quantity": of - done, "quantity": of},
            )
        total = int(line["total"])
        refunded.append(RefundedLine(sku, quantity, total * (done + quantity) // of - total * done // of))
    shipping_amount = None
    if shipping:
        if before.shipping:
            raise ShippingAlreadyRefunded("This order's shipping was refunded already.")
        shipping_amount = int(snapshot["shipping_total"])
    return LineRefund(tuple(refunded), shipping_amount)
