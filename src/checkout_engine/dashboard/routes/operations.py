"""Operations: stored webhook events (filtered by status, replayed), the job outbox (dead jobs retried) and the
audit log. ``viewer`` reads; ``support`` replays and retries."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response

from checkout_engine.admin import actions
from checkout_engine.admin import queries as admin_queries
from checkout_engine.admin.roles import Role
from checkout_engine.api.deps import Uow
from checkout_engine.dashboard import forms
from checkout_engine.dashboard.auth import FormStaff, PageStaff, require
from checkout_engine.dashboard.render import act, page
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError

router = APIRouter()
Field = Annotated[str, Form()]
PAGE_SIZE = 25
WEBHOOK_STATUSES = ("received", "processed", "ignored", "held", "failed")
JOB_STATUSES = ("dead", "failed", "queued", "running", "done")
AUDIT_FILTERS = ("target_type", "target_id", "action")


def _listed(lister: Any, problems: list[str], **arguments: Any) -> dict[str, Any]:
    """One page of a list; a cursor that is not ours shows as a problem instead of an error page."""
    try:
        listed: dict[str, Any] = lister(**arguments)
    except CheckoutError as error:
        problems.append(error.message)
        return {"data": [], "next_cursor": None}
    return listed


def _next_url(path: str, params: dict[str, str], cursor: str | None) -> str | None:
    return f"{path}?{urlencode({**params, 'cursor': cursor})}" if cursor else None


@router.get("/webhooks")
def webhooks(request: Request, staff: PageStaff, uow: Uow, status: str = "", cursor: str = "") -> Response:
    problems: list[str] = []
    chosen = status if status in WEBHOOK_STATUSES else None
    listed = _listed(
        admin_queries.list_webhook_events,
        problems,
        conn=uow.connection,
        status=chosen,
        order_id=None,
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    return page(
        request,
        "webhooks.html",
        staff,
        events=listed["data"],
        status=chosen or "",
        statuses=WEBHOOK_STATUSES,
        problems=problems,
        next_url=_next_url("/ops/webhooks", {"status": chosen or ""}, listed["next_cursor"]),
    )


@router.post("/webhooks/{event_id}/replay")
def replay(request: Request, event_id: str, staff: FormStaff, reason: Field = "", back: Field = "") -> Response:
    require(staff, Role.SUPPORT)

    def work(uow: UnitOfWork) -> str:
        result = actions.replay_webhook_event(uow, staff.principal, event_id, reason=forms.reason(reason))
        return f"Webhook event {result['webhook_event']['event_id']} queued for processing again."

    return act(request, forms.local_path(back, "/ops/webhooks"), work)


@router.get("/jobs")
def jobs(request: Request, staff: PageStaff, uow: Uow, status: str = "dead", cursor: str = "") -> Response:
    problems: list[str] = []
    chosen = status if status in JOB_STATUSES else None
    listed = _listed(
        admin_queries.list_jobs, problems, conn=uow.connection, status=chosen, limit=PAGE_SIZE, cursor=cursor or None
    )
    return page(
        request,
        "jobs.html",
        staff,
        jobs=listed["data"],
        status=chosen or "",
        statuses=JOB_STATUSES,
        problems=problems,
        next_url=_next_url("/ops/jobs", {"status": chosen or ""}, listed["next_cursor"]),
    )


@router.post("/jobs/{job_id}/retry")
def retry(request: Request, job_id: int, staff: FormStaff, reason: Field = "") -> Response:
    require(staff, Role.SUPPORT)

    def work(uow: UnitOfWork) -> str:
        job = actions.retry_job(uow, staff.principal, job_id, reason=forms.reason(reason))
        return f"Job {job['id']} ({job['kind']}) queued again with fresh attempts."

    return act(request, "/ops/jobs", work)


@router.get("/audit")
def audit_log(request: Request, staff: PageStaff, uow: Uow, cursor: str = "") -> Response:
    problems: list[str] = []
    params = {name: request.query_params.get(name, "").strip() for name in AUDIT_FILTERS}
    listed = _listed(
        admin_queries.list_audit_log,
        problems,
        conn=uow.connection,
        **{name: value or None for name, value in params.items()},
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    return page(
        request,
        "audit.html",
        staff,
        entries=listed["data"],
        params=params,
        problems=problems,
        next_url=_next_url("/ops/audit", params, listed["next_cursor"]),
    )
