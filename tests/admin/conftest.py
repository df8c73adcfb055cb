"""Admin API tests run the whole product against PostgreSQL and the simulator process: the app with the admin
order and operations routers, a worker the test drives, and the simulator's webhooks wired to the live API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from checkout_engine.api.app import create_app
from checkout_engine.api.routes import operations_admin, orders_admin
from checkout_engine.db.tables import orders
from checkout_engine.jobs.registry import HANDLERS, sweeps
from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.factory import build_provider
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from checkout_engine.webhooks import processor
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.catalog import seed_catalog
from support.checkout import checkout, ready_cart
from support.live_server import serve_in_thread
from support.pipeline import Pipeline
from support.provider_sim_process import ProviderSimProcess

ADMIN_KEY = "test-bootstrap-admin-key"
WEBHOOK_SECRET = "whsec_admin_tests"


def build_app(settings: Settings, engine: Engine, provider: PaymentProvider) -> FastAPI:
    """The product's app, plus the admin routers unless app.py already registers them."""
    app = create_app(settings, engine=engine, provider=provider)
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/admin/v1/orders" not in paths:
        app.include_router(orders_admin.router)
    if "/admin/v1/stats" not in paths:
        app.include_router(operations_admin.router)
    return app


@pytest.fixture
def settings(db_url: str, sim: ProviderSimProcess) -> Settings:
    return Settings(
        database_url=db_url,
        bootstrap_admin_key=SecretStr(ADMIN_KEY),
        stripe_secret_key=SecretStr("sk_test_admin"),
        stripe_api_base=sim.url,
        provider_timeout_seconds=2.0,
        stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
    )


@pytest.fixture
def provider(settings: Settings) -> PaymentProvider:
    return build_provider(settings)


@pytest.fixture
def app(settings: Settings, engine: Engine, provider: PaymentProvider) -> FastAPI:
    return build_app(settings, engine, provider)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def shop(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    seed_catalog(client, admin_headers)
    return client


@pytest.fixture
def live(shop: TestClient, settings: Settings, engine: Engine, provider: PaymentProvider) -> Iterator[str]:
    with serve_in_thread(build_app(settings, engine, provider)) as url:
        yield url


@pytest.fixture
def worker(engine: Engine, settings: Settings, provider: PaymentProvider) -> Worker:
    """Every job kind of the product, run when the test calls ``drain()``."""
    return Worker(
        JobContext(engine, settings, provider_factory=lambda: provider), handlers=HANDLERS, sweeps=sweeps(settings)
    )


@pytest.fixture
def webhook_worker(engine: Engine, settings: Settings, provider: PaymentProvider) -> Worker:
    """Processes webhooks only, leaving fulfilment, capture and the rest queued for the test to look at."""
    return Worker(
        JobContext(engine, settings, provider_factory=lambda: provider), handlers={PROCESS_WEBHOOK: processor.process}
    )


@pytest.fixture
def wired(live: str, sim: ProviderSimProcess, worker: Worker) -> Pipeline:
    """The simulator delivers signed webhooks to the live API; ``pump()`` delivers and processes everything due."""
    sim.configure_webhooks(url=f"{live}/webhooks/stripe", secret=WEBHOOK_SECRET, backoff_base_ms=20, backoff_max_ms=200)
    return Pipeline(sim, worker, api_url=live, secret=WEBHOOK_SECRET)


@pytest.fixture
def state_of(engine: Engine) -> Callable[[str], str]:
    def state(order_id: str) -> str:
        with engine.connect() as conn:
            found: str = conn.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
        return found

    return state


@pytest.fixture
def place(shop: TestClient) -> Callable[..., dict[str, Any]]:
    """Checks out a new cart (two shirts unless told otherwise); returns the checkout answer."""

    def placed(items: dict[str, int] | None = None, **cart: Any) -> dict[str, Any]:
        response = checkout(shop, ready_cart(shop, items, **cart), f"key-{uuid.uuid4().hex}")
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return placed


@pytest.fixture
def fulfilled(
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> Callable[..., dict[str, Any]]:
    """Places an order, pays it by card and waits until the webhook alone has made it fulfilled."""

    def paid_and_fulfilled(items: dict[str, int] | None = None, **cart: Any) -> dict[str, Any]:
        order = place(items, **cart)
        provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
        wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the order to be fulfilled")
        return order

    return paid_and_fulfilled


@pytest.fixture
def act(client: TestClient, admin_headers: dict[str, str]) -> Callable[..., Any]:
    """Posts an order action with a reason (or the given body) as the bootstrap admin."""

    def post(order_id: str, action: str, reason: str | None = "operator check", **body: Any) -> Any:
        payload = {"reason": reason, **body} if reason is not None else body or None
        return client.post(f"/admin/v1/orders/{order_id}/actions/{action}", json=payload, headers=admin_headers)

    return post
