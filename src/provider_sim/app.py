"""The ASGI application: `/v1` as Stripe answers it, `/_sim` to steer it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from provider_sim.config import SimConfig
from provider_sim.errors import resource_missing, unrecognized_url
from provider_sim.ids import new_id
from provider_sim.journal import Journal
from provider_sim.pipeline import Endpoint, encode, handle, json_response
from provider_sim.sim_api import sim_routes
from provider_sim.state import SimState
from provider_sim.v1_api import ENDPOINTS

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _v1_route(state: SimState, endpoint: Endpoint) -> Route:
    async def run(request: Request) -> Response:
        return await handle(state, endpoint, request)

    return Route(endpoint.path, run, methods=[endpoint.method])


async def _unrecognized(request: Request) -> Response:
    error = unrecognized_url(request.method, request.url.path)
    request_id = new_id("req", 14)
    return json_response(error.status, encode(error.body(request_id)), request_id)


async def _unknown_control(request: Request) -> Response:
    error = resource_missing("control endpoint", f"{request.method} {request.url.path}")
    return JSONResponse(error.body(), status_code=error.status)


def _lifespan(state: SimState) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        delivering = asyncio.create_task(state.webhooks.run(), name="webhook-delivery")
        try:
            yield
        finally:
            state.release_holds.set()
            state.scheduler.cancel_all()
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivering
            await state.webhooks.close()

    return lifespan


def create_app(config: SimConfig | None = None) -> Starlette:
    """The simulator as an ASGI app; its state lives in `app.state.sim` for as long as the app does."""
    state = SimState.create(config or SimConfig())
    routes: list[BaseRoute] = [_v1_route(state, endpoint) for endpoint in ENDPOINTS]
    routes += sim_routes()
    routes.append(Route("/v1/{rest:path}", _unrecognized, methods=_ALL_METHODS))
    routes.append(Route("/_sim/{rest:path}", _unknown_control, methods=_ALL_METHODS))
    journal = [Middleware(Journal, directory=state.config.journal_dir)] if state.config.journal_dir else []
    app = Starlette(routes=routes, middleware=journal, lifespan=_lifespan(state))
    app.state.sim = state
    return app
