"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from checkout_engine.api.answers import EVERY, errors
from checkout_engine.db import migrate
from checkout_engine.errors import CheckoutError

router = APIRouter(tags=["health"], responses=errors(*EVERY))  # the URL check is every path's


@router.get("/healthz")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}


NOT_READY = {
    "description": "Not ready: the database does not answer or its schema is not the one this code expects.",
    "content": {"application/json": {"example": {"status": "not_ready", "reason": "database_unreachable"}}},
}


@router.get("/readyz", responses={503: NOT_READY})
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and its schema is the one this code expects."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        migrate.ensure_current(engine)
    except CheckoutError as error:
        return JSONResponse({"status": "not_ready", "reason": error.code, "message": error.message}, status_code=503)
    except sa.exc.SQLAlchemyError as error:
        return JSONResponse(
            {"status": "not_ready", "reason": "database_unreachable", "message": type(error).__name__}, status_code=503
        )
    return JSONResponse({"status": "ready"})
