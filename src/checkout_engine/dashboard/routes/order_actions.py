"""The actions on one order, each with a required reason and shown only to roles allowed to use them: the safe
ones (``support``), a refund (``support`` within its limit, beyond it as an approval request; ``finance`` any
amount), a cancellation and closing (``admin``; of a paid order, as an approval request), the dangerous ones with a
ticked confirmation. The order page also offers webhook replays and a reconciliation run; those
post to the routes of their own pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response

from checkout_engine.admin import actions, state_changes
from checkout_engine.admin.actions import OrderActionResult
from checkout_engine.admin.roles import Role
from checkout_engine.api.deps import AppSettings
from checkout_engine.approvals.model import ApprovalRequest
from checkout_engine.dashboard import commands, forms
from checkout_engine.dashboard.auth import FormStaff, Refusal, require
from checkout_engine.dashboard.cookies import Notice
from checkout_engine.dashboard.render import act, redirect
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError, NotFound
from checkout_engine.orders import repository as order_records

router = APIRouter()
Field = Annotated[str, Form()]
Action = Callable[..., OrderActionResult]

SAFE_ACTIONS: dict[str, tuple[Action, str]] = {
    "resend_receipt": (actions.resend_receipt, "Receipt queued again."),
    "retry_fulfillment": (actions.retry_fulfillment, "Fulfilment queued again."),
    "mark_for_review": (actions.mark_for_review, "Order marked for review."),
    "clear_review": (actions.clear_review, "Review cleared; retry fulfilment if it was skipped."),
}


def order_url(order_id: str) -> str:
    return f"/ops/orders/{quote(order_id, safe='')}"


def _currency(request: Request, order_id: str) -> str:
    with request.app.state.engine.connect() as conn:
        order = order_records.get_order(conn, order_id)
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return order.currency


@router.post("/orders/{order_id}/actions/{name}")
def safe_action(request: Request, order_id: str, name: str, staff: FormStaff, reason: Field = "") -> Response:
    require(staff, Role.SUPPORT)
    if name not in SAFE_ACTIONS:
        raise Refusal(404, f"There is no order action named {name!r}.")
    action, done = SAFE_ACTIONS[name]

    def work(uow: UnitOfWork) -> str:
        action(uow, staff.principal, order_id, reason=forms.reason(reason))
        return done

    return act(request, order_url(order_id), work)


@router.post("/orders/{order_id}/cancel")
def cancel(
    request: Request, order_id: str, staff: FormStaff, settings: AppSettings, reason: Field = "", confirm: Field = ""
) -> Response:
    require(staff, Role.ADMIN)

    def work(uow: UnitOfWork) -> str:
        forms.confirmed(confirm, "cancellation")
        done = state_changes.cancel(uow, staff.principal, order_id, reason=forms.reason(reason), settings=settings)
        if isinstance(done, ApprovalRequest):
            return f"A paid order is cancelled only with a second admin's approval: request {done.id} now waits."
        return "Order cancelled; its stock and coupon are released and any authorization is being voided."

    return act(request, order_url(order_id), work)


@router.post("/orders/{order_id}/close")
def close(
    request: Request, order_id: str, staff: FormStaff, settings: AppSettings, reason: Field = "", confirm: Field = ""
) -> Response:
    require(staff, Role.ADMIN)

    def work(uow: UnitOfWork) -> str:
        forms.confirmed(confirm, "closing")
        asked = state_changes.ask_close(uow, staff.principal, order_id, reason=forms.reason(reason), settings=settings)
        return f"Closing the order needs a second admin's approval: request {asked.id} now waits."

    return act(request, order_url(order_id), work)


@router.post("/orders/{order_id}/refunds")
def refund(
    request: Request,
    order_id: str,
    staff: FormStaff,
    settings: AppSettings,
    amount: Field = "",
    reason: Field = "",
    confirm: Field = "",
    idempotency_key: Field = "",
) -> Response:
    require(staff, Role.SUPPORT)
    back = order_url(order_id)
    try:
        forms.confirmed(confirm, "refund")
        answer = commands.request_refund(
            request.app.state.engine,
            staff.principal,
            order_id,
            amount=forms.amount(amount, _currency(request, order_id)),
            reason=forms.reason(reason),
            key=idempotency_key,
            settings=settings,
        )
    except CheckoutError as error:
        return redirect(request, back, Notice(False, error.message))
    message = f"{answer.message} (This form was already sent once.)" if answer.replayed else answer.message
    return redirect(request, back, Notice(answer.ok, message))
