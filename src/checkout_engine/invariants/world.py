"""What the books say: our database's rows and the provider's own records, as plain values, so that the
invariants are pure functions of them (``records`` reads them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    state: str
    total: int
    needs_review: bool = False
    expires_at: datetime | None = None  # until when an unpaid order holds its stock and coupon
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    order_id: str
    kind: str
    from_state: str | None
    to_state: str | None
    provider_event_id: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LineRow:
    order_id: str
    sku: str
    quantity: int
    kind: str  # physical | digital


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: str
    order_id: str
    provider_payment_id: str | None
    status: str
    amount: int
    amount_received: int


@dataclass(frozen=True, slots=True)
class RefundRow:
    id: str
    order_id: str
    attempt_id: str
    amount: int
    status: str
    provider_refund_id: str | None
    requested_by: str = "support"  # "system" when the engine itself decided to give the money back
    reason: str = ""
    lines: tuple[tuple[str, int], ...] = ()  # a refund by line: (sku, quantity) given back
    shipping: bool = False  # the shipping was given back
    approval_id: str | None = None  # the approval request that carried it out


@dataclass(frozen=True, slots=True)
class StockRow:
    sku: str
    on_hand: int
    reserved: int


@dataclass(frozen=True, slots=True)
class ReservationRow:
    order_id: str
    sku: str
    quantity: int
    status: str  # active | committed | released


@dataclass(frozen=True, slots=True)
class CouponRow:
    code: str
    max_redemptions: int | None = None


@dataclass(frozen=True, slots=True)
class RedemptionRow:
    coupon_code: str
    order_id: str
    status: str  # reserved | consumed | released


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    kind: str
    status: str
    last_error: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookRow:
    id: int
    event_id: str
    type: str
    status: str  # received | processed | ignored | held | failed
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    id: str
    status: str  # the provider's own word (Stripe's)
    amount: int
    amount_received: int
    order_id: str | None  # from the metadata the engine puts on every intent
    attempt_id: str | None
    normalized: str | None = None  # our word for its status, as the payment adapter maps it (None: unknown)


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    id: str
    payment_id: str
    amount: int
    status: str
    refund_id: str | None  # our refund's id, from its metadata


@dataclass(frozen=True, slots=True)
class World:
    """Everything the invariants look at. ``initial_stock`` is what was stocked (unknown SKUs are not compared);
    ``read_at`` is when the books were read, the "now" for anything due by a time."""

    orders: tuple[OrderRow, ...] = ()
    events: tuple[EventRow, ...] = ()
    lines: tuple[LineRow, ...] = ()
    applied_coupons: Mapping[str, str] = field(default_factory=dict)  # order id: the coupon its snapshot applied
    priced: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # order id: its snapshot's total, currency
    attempts: tuple[AttemptRow, ...] = ()
    refunds: tuple[RefundRow, ...] = ()
    stock: tuple[StockRow, ...] = ()
    reservations: tuple[ReservationRow, ...] = ()
    coupons: tuple[CouponRow, ...] = ()
    redemptions: tuple[RedemptionRow, ...] = ()
    shipments: Mapping[str, int] = field(default_factory=dict)  # order id: shipment requests
    entitlements: Mapping[str, int] = field(default_factory=dict)  # order id: download grants
    jobs: tuple[JobRow, ...] = ()
    webhook_events: tuple[WebhookRow, ...] = ()
    provider_payments: tuple[ProviderPayment, ...] = ()
    provider_refunds: tuple[ProviderRefund, ...] = ()
    initial_stock: Mapping[str, int] = field(default_factory=dict)
    read_at: datetime | None = None
