"""Manual state changes that need a second person: cancelling a paid order (it is cancelled with a refund) and
closing an order. Asking checks the order now and stores an approval request; the approved executor checks the
order again, as it is then, and acts. An unpaid order is still cancelled at once (``actions.cancel``)."""

from __future__ import annotations

from typing import Any

from checkout_engine.admin import actions
from checkout_engine.admin.actions import OrderActionResult
from checkout_engine.admin.roles import Principal
from checkout_engine.approvals import requests as approvals
from checkout_engine.approvals.model import Action, ApprovalRequest
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Conflict
from checkout_engine.fulfillment import service as fulfillment
from checkout_engine.inventory import service as inventory
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import CANCELLABLE_WITH_REFUND, CLOSABLE, Order, OrderState
from checkout_engine.refunds import repository as refund_records
from checkout_engine.refunds import staff as staff_refunds
from checkout_engine.refunds.service import paying_attempt, refundable
from checkout_engine.settings import Settings

S = OrderState


def _check_cancellable_with_refund(order: Order) -> None:
    if order.state not in CANCELLABLE_WITH_REFUND:
        raise Conflict(
            f"Only a paid order not yet delivered can be cancelled with a refund; this one is {order.state}.",
            code="order_not_cancellable",
            details={"state": order.state.value, "allowed": sorted(state.value for state in CANCELLABLE_WITH_REFUND)},
        )


def _check_closable(uow: UnitOfWork, order: Order) -> None:
    if order.state not in CLOSABLE:
        raise Conflict(
            f"Only a delivered or refunded order can be closed; this one is {order.state}.",
            code="order_not_closable",
            details={"state": order.state.value, "allowed": sorted(state.value for state in CLOSABLE)},
        )
    open_refunds = [r.id for r in refund_records.for_order(uow.connection, order.id) if r.status in refund_records.OPEN]
    if open_refunds:
        raise Conflict(
            "A refund of this order is still on its way; close it once the provider has answered.",
            code="refund_in_progress",
            details={"refunds": open_refunds},
        )


def cancel(
    uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str, settings: Settings
) -> OrderActionResult | ApprovalRequest:
    """An unpaid order is cancelled now; a paid one not yet delivered waits for a second person's approval."""
    order = orders.get_order(uow, order_id, for_update=True)
    if order.state in CANCELLABLE_WITH_REFUND:
        return approvals.ask(
            uow, principal, Action.CANCEL, order, params={}, amount=None, reason=reason, settings=settings
        )
    return actions.cancel(uow, principal, order_id, reason=reason, settings=settings)


def ask_cancel_with_refund(
    uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str, settings: Settings
) -> ApprovalRequest:
    order = orders.get_order(uow, order_id, for_update=True)
    _check_cancellable_with_refund(order)
    return approvals.ask(
        uow, principal, Action.CANCEL_WITH_REFUND, order, params={}, amount=None, reason=reason, settings=settings
    )


def ask_close(
    uow: UnitOfWork, principal: Principal, order_id: str, *, reason: str, settings: Settings
) -> ApprovalRequest:
    order = orders.get_order(uow, order_id, for_update=True)
    _check_closable(uow, order)
    return approvals.ask(uow, principal, Action.CLOSE, order, params={}, amount=None, reason=reason, settings=settings)


def cancel_with_refund_approved(
    uow: UnitOfWork, approver: Principal, request: ApprovalRequest, settings: Settings
) -> dict[str, Any]:
    """The order leaves fulfilment for good, its units go back on hand, the warehouse's request is withdrawn and
    what the payment still holds is refunded (the order's refunds, the provider's confirmation among them, say when
    the money is back)."""
    conn = uow.connection
    order = orders.get_order(uow, request.order_id, for_update=True)
    _check_cancellable_with_refund(order)
    attempt = paying_attempt(conn, order.id)
    left = refundable(uow, attempt) if attempt is not None else 0
    cancelled = orders.transition(uow, order, S.CANCELLED_WITH_REFUND, reason=request.reason, actor=approver.name)
    restocked = [{"sku": r.sku, "quantity": r.quantity} for r in inventory.restock(uow, order.id)]
    shipment_withdrawn = fulfillment.withdraw_shipment(conn, order.id)
    refund = None
    if left > 0:
        priced = staff_refunds.PricedRefund(left, None)
        made = staff_refunds.carry_out(uow, approver, cancelled, priced, reason=request.reason, approval=request)
        refund = staff_refunds.refund_view(made)
    details = {
        "approval_request_id": request.id,
        "requested_by": request.requested_by,
        "refund": refund,
        "restocked": restocked,
        "shipment_withdrawn": shipment_withdrawn,
    }
    actions.record_order_action(
        uow, approver, "cancel_with_refund", reason=request.reason, before=order, after=cancelled, details=details
    )
    return {"order": {"id": order.id, "state": cancelled.state.value}, **details}


def close_approved(uow: UnitOfWork, approver: Principal, request: ApprovalRequest) -> dict[str, Any]:
    order = orders.get_order(uow, request.order_id, for_update=True)
    _check_closable(uow, order)
    closed = orders.transition(uow, order, S.CLOSED, reason=request.reason, actor=approver.name)
    details = {"approval_request_id": request.id, "requested_by": request.requested_by}
    actions.record_order_action(
        uow, approver, "close", reason=request.reason, before=order, after=closed, details=details
    )
    return {"order": {"id": order.id, "state": closed.state.value}, **details}
