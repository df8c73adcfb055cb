"""Orders: the filtered list with search by any id, and one order with everything about it side by side."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response

from checkout_engine.admin import queries as admin_queries
from checkout_engine.api.deps import AppSettings, Uow, provider
from checkout_engine.clock import utcnow
from checkout_engine.dashboard import queries
from checkout_engine.dashboard.auth import PageStaff
from checkout_engine.dashboard.render import page, redirect
from checkout_engine.errors import CheckoutError, NotFound
from checkout_engine.orders.model import CANCELLABLE_WITH_REFUND, CLOSABLE, OrderState
from checkout_engine.refunds.repository import OPEN_OR_DONE

router = APIRouter()
PAGE_SIZE = 25
FILTERS = ("state", "review", "email", "date_from", "date_to")
STATES = [state.value for state in OrderState]


def _day(text: str, problems: list[str], label: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError:
        problems.append(f"The {label} date {text!r} is not a date (YYYY-MM-DD).")
        return None


def _filters(params: dict[str, str], problems: list[str]) -> admin_queries.OrderFilters:
    state = params.get("state", "")
    if state and state not in STATES:
        problems.append(f"There is no order state {state!r}.")
        state = ""
    review = {"yes": True, "no": False}.get(params.get("review", ""))
    until = _day(params.get("date_to", ""), problems, "until")
    return admin_queries.OrderFilters(
        state=OrderState(state) if state else None,
        needs_review=review,
        email=params.get("email", "").strip() or None,
        created_gte=_day(params.get("date_from", ""), problems, "from"),
        created_lt=until + timedelta(days=1) if until else None,  # the whole last day
    )


@router.get("/orders")
def list_orders(request: Request, staff: PageStaff, uow: Uow, q: str = "", cursor: str = "") -> Response:
    if q.strip():
        found = queries.find_order_id(uow.connection, q)
        if found is not None:
            return redirect(request, f"/ops/orders/{quote(found, safe='')}")
    params = {name: request.query_params.get(name, "") for name in FILTERS}
    problems = [f"No order, payment or refund has the id {q.strip()!r}."] if q.strip() else []
    listed: dict[str, Any] = {"data": [], "next_cursor": None}
    filters = _filters(params, problems)
    try:
        listed = admin_queries.list_orders(uow.connection, filters, limit=PAGE_SIZE, cursor=cursor or None)
    except CheckoutError as error:  # a cursor that is not ours
        problems.append(error.message)
    more = listed["next_cursor"]
    next_url = f"/ops/orders?{urlencode({**params, 'cursor': more})}" if more else None
    context = {"orders": listed["data"], "params": params, "q": q, "problems": problems, "next_url": next_url}
    return page(request, "orders.html", staff, states=STATES, **context)


def _refund_room(detail: dict[str, Any]) -> dict[str, int] | None:
    """What the paying attempt captured and what refunds already hold of it (as ``refunds.service`` counts)."""
    paying = next((a for a in detail["payment_attempts"] if a["id"] == detail["refund"]["paying_attempt_id"]), None)
    if paying is None:
        return None
    held = sum(
        r["amount"]
        for r in detail["refunds"]
        if r["payment_attempt_id"] == paying["id"] and r["status"] in OPEN_OR_DONE
    )
    return {"captured": paying["amount_received"], "held": held, "left": paying["amount_received"] - held}


def _live_status(request: Request, detail: dict[str, Any], attempt_id: str) -> dict[str, Any]:
    """The provider's word on one attempt now; asked after the database work is over, never inside it."""
    attempt = next((a for a in detail["payment_attempts"] if a["id"] == attempt_id), None)
    if attempt is None or attempt["provider_payment_id"] is None:
        return {"attempt_id": attempt_id, "error": "This attempt has no payment at the provider."}
    try:
        payment = provider(request).retrieve(attempt["provider_payment_id"])
    except CheckoutError as error:
        return {"attempt_id": attempt_id, "error": error.message}
    return {"attempt_id": attempt_id, "payment": payment}


@router.get("/orders/{order_id}")
def order_page(request: Request, order_id: str, staff: PageStaff, settings: AppSettings, live: str = "") -> Response:
    try:
        with request.app.state.engine.connect() as conn:
            detail = admin_queries.order_detail(conn, order_id)
    except NotFound as error:
        return page(request, "error.html", staff, http_status=404, title="Not found", message=error.message)
    return page(
        request,
        "order.html",
        staff,
        d=detail,
        order=detail["order"],
        live=_live_status(request, detail, live) if live else None,
        refund_room=_refund_room(detail),
        refund_key=secrets.token_urlsafe(16),  # one key per form shown: a resubmission refunds once
        support_limit=settings.support_limit_for(detail["order"]["currency"]),
        support_daily_limit=settings.support_daily_limit_for(detail["order"]["currency"]),
        paid_cancellable=detail["order"]["state"] in CANCELLABLE_WITH_REFUND,
        closable=detail["order"]["state"] in CLOSABLE,
        now=utcnow(),
    )
