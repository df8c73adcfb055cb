"""Admin operations calls: stored webhook events (and their replay), the job outbox (and retrying dead jobs), the
audit log and the stats that show whether anything is stuck. ``viewer`` reads; ``support`` replays and retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter

from checkout_engine.admin import actions, queries
from checkout_engine.api.answers import EVERY, PAGED, STAFF, WITH_BODY, errors, page
from checkout_engine.api.deps import AppSettings, Support, Uow, Viewer
from checkout_engine.api.params import EventReference, RowId
from checkout_engine.api.routes.orders_admin import ActionRequest, Cursor, Filter, Limit

router = APIRouter(prefix="/admin/v1", tags=["admin: operations"], responses=errors(*EVERY, *STAFF))

WebhookStatus = Literal["received", "processed", "ignored", "held", "failed"]
JobFilter = Literal["queued", "running", "failed", "done", "dead"]


@router.get(
    "/webhook-events",
    responses={200: page("A page of stored provider events.", "event_id", "replay_webhook_event"), **PAGED},
)
def list_webhook_events(
    _: Viewer,
    uow: Uow,
    status: WebhookStatus | None = None,
    order_id: Filter = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return queries.list_webhook_events(uow.connection, status=status, order_id=order_id, limit=limit, cursor=cursor)


@router.post(
    "/webhook-events/{event_id}/replay",
    responses=errors(*WITH_BODY, *STAFF, 404, codes={404: ["webhook_event_not_found"]}),
)
def replay_webhook_event(event_id: EventReference, body: ActionRequest, principal: Support, uow: Uow) -> dict[str, Any]:
    result = actions.replay_webhook_event(uow, principal, event_id, reason=body.reason)
    uow.commit()
    return result


@router.get(
    "/jobs",
    responses={200: page("A page of jobs.", "job_id", "retry_job"), **PAGED},
)
def list_jobs(
    _: Viewer, uow: Uow, status: JobFilter | None = None, limit: Limit = queries.DEFAULT_LIMIT, cursor: Cursor = None
) -> dict[str, Any]:
    return queries.list_jobs(uow.connection, status=status, limit=limit, cursor=cursor)


@router.post(
    "/jobs/{job_id}/retry",
    responses=errors(
        *WITH_BODY, *STAFF, 404, 409, codes={404: ["job_not_found"], 409: ["job_not_dead", "job_already_queued"]}
    ),
)
def retry_job(job_id: RowId, body: ActionRequest, principal: Support, uow: Uow) -> dict[str, Any]:
    result = actions.retry_job(uow, principal, job_id, reason=body.reason)
    uow.commit()
    return result


@router.get("/stats")
def stats(_: Viewer, uow: Uow, settings: AppSettings) -> dict[str, Any]:
    stuck_after = timedelta(seconds=settings.reconcile_pending_after_seconds)
    return queries.stats(uow.connection, stuck_after=stuck_after)


@router.get("/audit-log", responses=PAGED)
def list_audit_log(
    _: Viewer,
    uow: Uow,
    target_type: Filter = None,
    target_id: Filter = None,
    action: Filter = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return queries.list_audit_log(
        uow.connection, target_type=target_type, target_id=target_id, action=action, limit=limit, cursor=cursor
    )
