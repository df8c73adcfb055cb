"""`GET /metrics` in Prometheus' text format."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from checkout_engine.api.answers import EVERY, errors
from checkout_engine.observability.scrape import render

router = APIRouter(tags=["health"], responses=errors(*EVERY))  # the URL check is every path's


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus' text format.",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        }
    },
)
def metrics(request: Request) -> Response:
    return Response(render(request.app.state.engine, request.app.state.settings), media_type=CONTENT_TYPE_LATEST)
