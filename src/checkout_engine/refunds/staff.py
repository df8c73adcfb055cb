"""Refunds asked for by staff, by amount or by line: made at once within the asker's own limits, or stored as an
approval request beyond them. A refund is carried out by one function, ``carry_out``, whether the asker made it
directly or a second person approved it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from checkout_engine.admin.roles import Principal, Role
from checkout_engine.approvals import requests as approvals
from checkout_engine.approvals.model import Action, ApprovalRequest, ApprovalStale
from checkout_engine.approvals.views import approval_view
from checkout_engine.audit import repository as audit
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Invalid
from checkout_engine.money import Money
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import Order
from checkout_engine.refunds import lines as by_line
from checkout_engine.refunds import repository as repo
from checkout_engine.refunds.lines import LineAsk, LineRefund, RefundedBefore
from checkout_engine.refunds.repository import Refund
from checkout_engine.refunds.service import check_room, request_refund
from checkout_engine.settings import Settings

DAY = timedelta(days=1)


class NothingToRefund(Invalid):
    code = "refund_amount_zero"


@dataclass(frozen=True, slots=True)
class RefundAsk:
    """What the staff member asked for: an amount, or lines (and perhaps the shipping)."""

    amount: int | None = None
    lines: tuple[LineAsk, ...] = ()
    shipping: bool = False

    def params(self) -> dict[str, Any]:
        if self.amount is not None:
            return {"amount": self.amount}
        return {"lines": [{"sku": ask.sku, "quantity": ask.quantity} for ask in self.lines], "shipping": self.shipping}

    @classmethod
    def of(cls, params: dict[str, Any]) -> RefundAsk:
        if params.get("lines") is None and not params.get("shipping"):
            return cls(amount=int(params["amount"]))
        asked = tuple(LineAsk(str(line["sku"]), int(line["quantity"])) for line in params.get("lines") or ())
        return cls(lines=asked, shipping=bool(params.get("shipping")))


@dataclass(frozen=True, slots=True)
class PricedRefund:
    amount: int
    by_line: LineRefund | None


def refund_view(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "order_id": refund.order_id,
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status,
        "provider_refund_id": refund.provider_refund_id,
        "reason": refund.reason,
        "requested_by": refund.requested_by,
        "lines": refund.lines,
        "shipping_amount": refund.shipping_amount,
        "approval_id": refund.approval_id,
    }


def price(uow: UnitOfWork, order: Order, ask: RefundAsk) -> PricedRefund:
    """The amount asked, or the lines' share of the order's frozen snapshot less nothing already given back."""
    if ask.amount is not None:
        return PricedRefund(ask.amount, None)
    snapshot = orders_repo.snapshot_for(uow.connection, order.id)
    assert snapshot is not None  # written with the order
    earlier = [r for r in repo.for_order(uow.connection, order.id) if r.status in repo.OPEN_OR_DONE]
    before = RefundedBefore.of((r.lines, r.shipping_amount) for r in earlier)
    share = by_line.share(snapshot.payload, ask.lines, shipping=ask.shipping, before=before)
    if share.amount <= 0:
        raise NothingToRefund("What was asked for is worth nothing: there is no amount to refund.")
    return PricedRefund(share.amount, share)


def beyond_limits(
    uow: UnitOfWork, principal: Principal, order: Order, amount: int, *, settings: Settings
) -> dict[str, Any] | None:
    """Why this refund needs a second person, or None when the asker may make it. Support may refund up to its
    limit per order (counting every refund of the order requested, pending or done) and, when set, up to its daily
    limit of its own refunds; finance and admin any amount (up to what was captured, which ``request_refund`` checks
    for everyone)."""
    if principal.allows(Role.FINANCE):
        return None
    currency = order.currency
    already = sum(r.amount for r in repo.for_order(uow.connection, order.id) if r.status in repo.OPEN_OR_DONE)
    limit = settings.support_limit_for(currency)
    if already + amount > limit:
        return {
            "limit": "per_order",
            "limit_amount": limit,
            "already_refunded": already,
            "message": f"Support may refund at most {Money(limit, currency)} per order; "
            f"{Money(already, currency)} is already refunded or on its way.",
        }
    daily = settings.support_daily_limit_for(currency)
    if daily is not None:
        today = repo.by_staff_since(uow.connection, principal.name, currency, since=utcnow() - DAY)
        if today + amount > daily:
            return {
                "limit": "daily",
                "limit_amount": daily,
                "already_refunded": today,
                "message": f"{principal.name} may refund at most {Money(daily, currency)} a day; "
                f"{Money(today, currency)} was refunded in the last 24 hours.",
            }
    return None


def carry_out(
    uow: UnitOfWork,
    principal: Principal,
    order: Order,
    priced: PricedRefund,
    *,
    reason: str,
    approval: ApprovalRequest | None = None,
) -> Refund:
    """Record the refund and queue it, audited; with ``approval``, in the requester's name and the approver's."""
    share = priced.by_line
    refund = request_refund(
        uow,
        order,
        amount=priced.amount,
        reason=reason,
        requested_by=approval.requested_by if approval else principal.name,
        refund_id=f"rf_{approval.id}" if approval else None,  # one refund per approval, whatever happens
        lines=[line.as_json() for line in share.lines] if share else None,
        shipping_amount=share.shipping if share else None,
        approval_id=approval.id if approval else None,
    )
    audit.record(
        uow.connection,
        principal=principal,
        action="refund.request",
        target=("order", order.id),
        reason=reason,
        before=None,
        after={**refund_view(refund), **({"approved_by": principal.name} if approval else {})},
    )
    return refund


def refund_or_ask(
    uow: UnitOfWork, principal: Principal, order_id: str, ask: RefundAsk, *, reason: str, settings: Settings
) -> tuple[int, dict[str, Any]]:
    """201 and the refund, or 202 and the approval request it needs."""
    order = orders.get_order(uow, order_id, for_update=True)
    priced = price(uow, order, ask)
    check_room(uow, order, priced.amount)  # a refund that could never be made is refused now, not on approval
    why = beyond_limits(uow, principal, order, priced.amount, settings=settings)
    if why is None:
        return 201, refund_view(carry_out(uow, principal, order, priced, reason=reason))
    params = {**ask.params(), "amount": priced.amount}
    request = approvals.ask(
        uow, principal, Action.REFUND, order, params=params, amount=priced.amount, reason=reason, settings=settings
    )
    return 202, {"approval_request": approval_view(request, now=utcnow()), "needs_approval": why}


def approved(uow: UnitOfWork, approver: Principal, request: ApprovalRequest) -> dict[str, Any]:
    """Carry out an approved refund against the order as it is now: the same lines must still be refundable and
    be worth what was approved."""
    order = orders.get_order(uow, request.order_id, for_update=True)
    priced = price(uow, order, RefundAsk.of(request.params))
    if priced.amount != request.amount:
        raise ApprovalStale(
            "The refund asked for is now worth another amount; ask again.",
            details={"approved_amount": request.amount, "amount_now": priced.amount},
        )
    refund = carry_out(uow, approver, order, priced, reason=request.reason, approval=request)
    return {"refund": refund_view(refund)}
