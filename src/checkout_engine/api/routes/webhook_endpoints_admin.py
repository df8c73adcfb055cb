"""Outgoing webhook endpoints (``admin`` registers and changes them; every staff role reads them and their delivery
log; ``support`` and up replay a delivery)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import Field, StrictBool

from checkout_engine.api.answers import EVERY, PAGED, STAFF, WITH_BODY, errors
from checkout_engine.api.deps import Admin, AppSettings, Support, Uow, Viewer
from checkout_engine.api.params import RowId
from checkout_engine.api.routes.orders_admin import ActionRequest, Cursor, Limit
from checkout_engine.api.schemas import Body, Reason
from checkout_engine.outgoing import endpoints
from checkout_engine.outgoing.model import EVENT_TYPES
from checkout_engine.outgoing.targets import MAX_URL_LENGTH

router = APIRouter(prefix="/admin/v1", tags=["admin: outgoing webhooks"], responses=errors(*EVERY, *STAFF))
EndpointId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["warehouse"])]
EventName = Literal[
    "order.paid",
    "order.fulfillment_requested",
    "order.fulfilled",
    "order.refunded",
    "order.cancelled",
    "order.needs_review",
    "payment.failed",
    "refund.failed",
]
assert set(EventName.__args__) == set(EVENT_TYPES)  # type: ignore[attr-defined]
NO_ENDPOINT = {404: ["webhook_endpoint_not_found"]}


class PutEndpoint(Body):
    url: Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]
    events: Annotated[list[EventName], Field(min_length=1, max_length=len(EVENT_TYPES))]
    secret: Annotated[str, Field(min_length=16, max_length=128, pattern=r"^[\x21-\x7e]+$")] | None = None
    active: StrictBool = True
    reason: Reason


@router.put(
    "/webhook-endpoints/{endpoint_id}",
    responses=errors(*WITH_BODY, *STAFF, codes={422: ["webhook_url_refused", "validation_error"]}),
)
def put_endpoint(
    endpoint_id: EndpointId, body: PutEndpoint, principal: Admin, uow: Uow, settings: AppSettings
) -> dict[str, Any]:
    """Registers or changes an endpoint. Without a ``secret`` a new endpoint gets one, shown in this answer only."""
    view = endpoints.upsert(
        uow,
        principal,
        endpoint_id,
        url=body.url,
        events=list(body.events),
        secret=body.secret,
        active=body.active,
        reason=body.reason,
        settings=settings,
    )
    uow.commit()
    return view


@router.get("/webhook-endpoints")
def list_endpoints(_: Viewer, uow: Uow) -> dict[str, Any]:
    return {"data": endpoints.list_endpoints(uow.connection), "next_cursor": None}


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", responses={**PAGED, **errors(404, codes=NO_ENDPOINT)})
def list_deliveries(
    endpoint_id: EndpointId,
    _: Viewer,
    uow: Uow,
    status: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return endpoints.deliveries(uow.connection, endpoint_id, status=status, limit=limit, cursor=cursor)


@router.post(
    "/webhook-deliveries/{delivery_id}/replay",
    responses=errors(*WITH_BODY, *STAFF, 404, codes={404: ["webhook_delivery_not_found"]}),
)
def replay_delivery(delivery_id: RowId, body: ActionRequest, principal: Support, uow: Uow) -> dict[str, Any]:
    answer = endpoints.replay(uow, principal, delivery_id, reason=body.reason)
    uow.commit()
    return answer
