"""Reconciliation for staff: request a run (finance), list runs and findings (viewer), resolve a finding with a
note (finance)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from checkout_engine.api.answers import EVERY, STAFF, WITH_BODY, errors, page
from checkout_engine.api.deps import Finance, Uow, Viewer
from checkout_engine.api.params import RowId
from checkout_engine.api.routes.orders_admin import Filter
from checkout_engine.api.schemas import ResolveFinding, StartReconciliation
from checkout_engine.reconciliation import commands, repository

router = APIRouter(prefix="/admin/v1/reconciliation", tags=["admin: reconciliation"], responses=errors(*EVERY, *STAFF))
Limit = Annotated[int, Query(ge=1, le=100)]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in row.items()}


@router.post("/runs", status_code=202, responses=errors(*WITH_BODY, *STAFF))
def start_run(body: StartReconciliation, principal: Finance, uow: Uow) -> dict[str, Any]:
    queued = commands.request_reconciliation(uow, principal, reason=body.reason)
    uow.commit()
    return {"queued": queued, "already_queued": not queued}


@router.get("/runs")
def list_runs(_: Viewer, uow: Uow, limit: Limit = 20) -> dict[str, Any]:
    return {"data": [_jsonable(row) for row in repository.runs(uow.connection, limit)], "next_cursor": None}


@router.get(
    "/findings",
    responses={200: page("Findings, newest first.", "finding_id", "resolve")},
)
def list_findings(
    _: Viewer,
    uow: Uow,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    order_id: Filter = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    rows = repository.findings(uow.connection, status=status, order_id=order_id, limit=limit)
    return {"data": [_jsonable(row) for row in rows], "next_cursor": None}


@router.post(
    "/findings/{finding_id}/resolve", responses=errors(*WITH_BODY, *STAFF, 404, codes={404: ["finding_not_found"]})
)
def resolve(finding_id: RowId, body: ResolveFinding, principal: Finance, uow: Uow) -> dict[str, Any]:
    commands.resolve_finding(uow, principal, finding_id, note=body.note)
    uow.commit()
    return {"id": finding_id, "status": "resolved", "note": body.note}
