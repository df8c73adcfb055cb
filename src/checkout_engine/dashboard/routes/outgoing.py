"""Outgoing webhooks: the shop's endpoints and each one's delivery log (attempts, status codes, latency, next
attempt), with replay of a delivery (``support`` and up). Endpoints are registered through the admin API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from checkout_engine.admin.roles import Role
from checkout_engine.api.deps import Uow
from checkout_engine.dashboard import forms
from checkout_engine.dashboard.auth import FormStaff, PageStaff, require
from checkout_engine.dashboard.render import act, page
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import NotFound
from checkout_engine.outgoing import endpoints

router = APIRouter()
Field = Annotated[str, Form()]
SHOWN = 25


@router.get("/outgoing-webhooks")
def outgoing(request: Request, staff: PageStaff, uow: Uow) -> Response:
    listed = endpoints.list_endpoints(uow.connection)
    logs = {
        endpoint["id"]: endpoints.deliveries(uow.connection, endpoint["id"], status=None, limit=SHOWN, cursor=None)[
            "data"
        ]
        for endpoint in listed
    }
    return page(request, "outgoing.html", staff, endpoints=listed, logs=logs)


@router.post("/outgoing-webhooks/deliveries/{delivery_id}/replay")
def replay(request: Request, delivery_id: str, staff: FormStaff, reason: Field = "") -> Response:
    require(staff, Role.SUPPORT)

    def work(uow: UnitOfWork) -> str:
        if not delivery_id.isdigit():
            raise NotFound("No such webhook delivery.", code="webhook_delivery_not_found")
        done = endpoints.replay(uow, staff.principal, int(delivery_id), reason=forms.reason(reason))
        return f"Delivery {done['id']} of {done['event_id']} queued to be sent again."

    return act(request, "/ops/outgoing-webhooks", work)
