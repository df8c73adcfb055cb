"""The overview: whether anything is stuck, failing or waiting for a person, and the last day's activity."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from checkout_engine.admin import queries as admin_queries
from checkout_engine.api.deps import AppSettings, Uow
from checkout_engine.clock import utcnow
from checkout_engine.dashboard import chart, queries
from checkout_engine.dashboard.auth import PageStaff
from checkout_engine.dashboard.render import page

router = APIRouter()
CHART_HOURS = 24


@router.get("/")
def overview(request: Request, staff: PageStaff, uow: Uow, settings: AppSettings) -> Response:
    conn = uow.connection
    # The same threshold as the admin API's stats: reconciliation settles pending payments after it.
    stuck_after = timedelta(seconds=settings.reconcile_pending_after_seconds)
    now = utcnow()
    return page(
        request,
        "overview.html",
        staff,
        stats=admin_queries.stats(conn, stuck_after=stuck_after),
        stuck=queries.stuck_orders(conn, now=now, older_than=stuck_after),
        last_success=queries.last_successful_reconciliation(conn),
        chart=chart.build(queries.hourly_activity(conn, now=now, hours=CHART_HOURS)),
    )
