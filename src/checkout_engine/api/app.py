"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine

from checkout_engine import dashboard
from checkout_engine.api import errors
from checkout_engine.api.limits import BodySizeLimit
from checkout_engine.api.routes import (
    approvals_admin,
    carts,
    catalog_admin,
    checkout,
    downloads,
    health,
    metrics,
    operations_admin,
    orders_admin,
    reconciliation_admin,
    refunds_admin,
    webhook_endpoints_admin,
    webhooks,
)
from checkout_engine.api.text_input import UrlText
from checkout_engine.db.engine import make_engine
from checkout_engine.observability import tracing
from checkout_engine.observability.access_log import AccessLog
from checkout_engine.observability.request_id import RequestId
from checkout_engine.observability.tracing import TraceRequests
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings


def create_app(settings: Settings, *, engine: Engine | None = None, provider: PaymentProvider | None = None) -> FastAPI:
    app = FastAPI(
        title="checkout-engine",
        version="0.1.0",
        docs_url="/docs",
        redoc_url=None,
        lifespan=_threads_match_pool(settings),
        generate_unique_id_function=lambda route: route.name,  # operation ids a generated client can read
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, pool_size=settings.db_pool_size)
    app.state.provider = provider
    errors.install(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_body_bytes,
        overrides={"/webhooks/": settings.max_webhook_body_bytes},
    )
    app.add_middleware(UrlText)  # before routing: no handler sees a path or query that is not plain text
    app.add_middleware(AccessLog)  # inside RequestId: its line carries the request id
    app.add_middleware(RequestId)  # every answer, even a refused one, carries its request id
    if tracing.configure():  # the OTEL_* variables ask for traces: a span per request, around everything
        app.add_middleware(TraceRequests)
    routers = (
        health.router,
        metrics.router,
        carts.router,
        checkout.router,
        downloads.router,
        webhooks.router,
        catalog_admin.router,
        refunds_admin.router,
        reconciliation_admin.router,
        orders_admin.router,
        approvals_admin.router,
        webhook_endpoints_admin.router,
        operations_admin.router,
    )
    for router in routers:
        app.include_router(router)
    dashboard.install(app)
    return app


def _threads_match_pool(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Request handlers run in a thread pool; it gets as many threads as the database pool has connections, so
    excess requests wait in the event loop instead of holding a thread while they wait for a connection."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        yield

    return lifespan
