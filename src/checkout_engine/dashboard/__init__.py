"""The operations dashboard: staff log in with their account and see and act on what the admin API offers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from checkout_engine.dashboard.auth import Refusal
from checkout_engine.dashboard.cookies import Signer, load_secret
from checkout_engine.dashboard.headers import SecurityHeaders
from checkout_engine.dashboard.render import page
from checkout_engine.dashboard.routes import router

STATIC = Path(__file__).parent / "static"
TITLES = {403: "Not allowed", 404: "Not found"}


def _on_refusal(request: Request, error: Exception) -> Response:
    assert isinstance(error, Refusal)
    if error.location is not None:
        return RedirectResponse(error.location, status_code=error.status)
    title = TITLES.get(error.status, "Refused")
    return page(request, "error.html", None, http_status=error.status, title=title, message=error.message)


def install(app: FastAPI) -> None:
    """Everything the dashboard adds to the app: its pages, stylesheet, cookie key, refusal pages and headers."""
    secret = app.state.settings.session_secret
    app.state.ops_signer = Signer(load_secret(secret.get_secret_value() if secret else None))
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(Refusal, _on_refusal)
    app.mount("/ops/static", StaticFiles(directory=STATIC), name="ops-static")
    app.include_router(router)
