"""Approvals: the queue of requests waiting for a second person (oldest first, with their age), the latest
decisions, and approve / reject / cancel with a reason. Every staff role sees the queue; the domain decides who may
decide each request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from checkout_engine.api.deps import AppSettings, Uow
from checkout_engine.approvals import decisions
from checkout_engine.approvals import repository as approvals
from checkout_engine.approvals.views import approval_view
from checkout_engine.clock import utcnow
from checkout_engine.dashboard import forms
from checkout_engine.dashboard.auth import FormStaff, PageStaff
from checkout_engine.dashboard.render import act, page
from checkout_engine.db.unit_of_work import UnitOfWork

router = APIRouter()
Field = Annotated[str, Form()]
QUEUE_SIZE = 100
DECIDED_SHOWN = 25
DONE = {"approve": "approved and carried out", "reject": "rejected", "cancel": "cancelled"}


@router.get("/approvals")
def queue(request: Request, staff: PageStaff, uow: Uow) -> Response:
    now = utcnow()
    pending = approvals.pending_queue(uow.connection, now=now, limit=QUEUE_SIZE)
    decided = approvals.recently_decided(uow.connection, limit=DECIDED_SHOWN)
    return page(
        request,
        "approvals.html",
        staff,
        pending=[{**approval_view(r, now=now), "age_seconds": (now - r.created_at).total_seconds()} for r in pending],
        decided=[approval_view(r, now=now) for r in decided],
    )


@router.post("/approvals/{approval_id}/{verb}")
def decide(
    request: Request,
    approval_id: str,
    verb: str,
    staff: FormStaff,
    settings: AppSettings,
    reason: Field = "",
    back: Field = "",
) -> Response:
    def work(uow: UnitOfWork) -> str:
        why = forms.reason(reason)
        if verb == "approve":
            decisions.approve(uow, staff.principal, approval_id, reason=why, settings=settings)
        elif verb == "reject":
            decisions.reject(uow, staff.principal, approval_id, reason=why)
        elif verb == "cancel":
            decisions.cancel(uow, staff.principal, approval_id, reason=why)
        else:
            raise forms.FormProblem(f"There is no approval step named {verb!r}.")
        return f"Request {approval_id} {DONE[verb]}."

    return act(request, forms.local_path(back, "/ops/approvals"), work)
