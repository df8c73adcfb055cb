"""Reconciliation: its runs and findings (``viewer``), a new run and resolving a finding with a note
(``finance``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from checkout_engine.admin.roles import Role
from checkout_engine.api.deps import Uow
from checkout_engine.dashboard import forms
from checkout_engine.dashboard.auth import FormStaff, PageStaff, require
from checkout_engine.dashboard.render import act, page
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.reconciliation import commands as reconciliation_commands
from checkout_engine.reconciliation import repository

router = APIRouter()
Field = Annotated[str, Form()]
HOME = "/ops/reconciliation"
RUNS_SHOWN = 20
FINDINGS_SHOWN = 100
FINDING_STATUSES = ("open", "resolved")


@router.get("/reconciliation")
def reconciliation(request: Request, staff: PageStaff, uow: Uow, status: str = "open") -> Response:
    chosen = status if status in FINDING_STATUSES else None
    return page(
        request,
        "reconciliation.html",
        staff,
        runs=repository.runs(uow.connection, RUNS_SHOWN),
        findings=repository.findings(uow.connection, status=chosen, order_id=None, limit=FINDINGS_SHOWN),
        status=chosen or "",
        statuses=FINDING_STATUSES,
    )


@router.post("/reconciliation/runs")
def start_run(request: Request, staff: FormStaff, reason: Field = "", back: Field = "") -> Response:
    require(staff, Role.FINANCE)

    def work(uow: UnitOfWork) -> str:
        queued = reconciliation_commands.request_reconciliation(uow, staff.principal, reason=forms.reason(reason))
        return "Reconciliation run queued." if queued else "A reconciliation run is already queued or running."

    return act(request, forms.local_path(back, HOME), work)


@router.post("/reconciliation/findings/{finding_id}/resolve")
def resolve(request: Request, finding_id: int, staff: FormStaff, note: Field = "") -> Response:
    require(staff, Role.FINANCE)

    def work(uow: UnitOfWork) -> str:
        reconciliation_commands.resolve_finding(uow, staff.principal, finding_id, note=forms.reason(note, field="note"))
        return f"Finding {finding_id} resolved."

    return act(request, HOME, work)
