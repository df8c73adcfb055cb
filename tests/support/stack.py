"""The whole product for tests: PostgreSQL, the simulator process, the app in-process and over real HTTP, a worker
the test drives, and the simulator's webhooks wired to the live API. Conftests import these fixtures by name."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from checkout_engine.api.app import create_app
from checkout_engine.db.tables import orders
from checkout_engine.jobs.registry import HANDLERS
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
from support.sweeps import housekeeping

ADMIN_KEY = "test-bootstrap-admin-key"
WEBHOOK_SECRET = "whsec_engine_tests"
ENGINE_KEY = (
    "sk_test_engine"  # the secret key the engine calls the simulator with (its idempotency keys are kept per key)
)


@pytest.fixture
def settings(db_url: str, sim: ProviderSimProcess) -> Settings:
    return Settings(
        database_url=db_url,
        bootstrap_admin_key=SecretStr(ADMIN_KEY),
        stripe_secret_key=SecretStr(ENGINE_KEY),
        stripe_api_base=sim.url,
        provider_timeout_seconds=2.0,
        stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
    )


@pytest.fixture
def provider(settings: Settings) -> PaymentProvider:
    return build_provider(settings)


@pytest.fixture
def client(settings: Settings, engine: Engine, provider: PaymentProvider) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine, provider=provider)) as test_client:
        yield test_client


@pytest.fixture
def shop(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    """The API client over a database holding the small test catalog."""
    seed_catalog(client, admin_headers)
    return client


@pytest.fixture
def live(shop: TestClient, settings: Settings, engine: Engine, provider: PaymentProvider) -> Iterator[str]:
    """The same app and database over real HTTP, for concurrent clients and the simulator's webhooks."""
    with serve_in_thread(create_app(settings, engine=engine, provider=provider)) as url:
        yield url


@pytest.fixture
def worker(engine: Engine, settings: Settings, provider: PaymentProvider) -> Worker:
    """A worker driven by the test itself (``drain()``), with every job kind of the product."""
    return Worker(
        JobContext(engine, settings, provider_factory=lambda: provider),
        handlers=HANDLERS,
        sweeps=housekeeping(settings),
    )


@pytest.fixture
def webhooks_only(engine: Engine, settings: Settings, provider: PaymentProvider) -> Worker:
    """A worker that only processes provider events: what they queue (a capture, a fulfilment) waits for the test."""
    return Worker(
        JobContext(engine, settings, provider_factory=lambda: provider), handlers={PROCESS_WEBHOOK: processor.process}
    )


@pytest.fixture
def refund(shop: TestClient, admin_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Asks the admin API for a refund of an order (201 expected: the record is written, its job queued)."""

    def asked(order_id: str, amount: int, *, key: str, reason: str = "goodwill") -> dict[str, Any]:
        answer = shop.post(
            f"/admin/v1/orders/{order_id}/refunds",
            json={"amount": amount, "reason": reason},
            headers={**admin_headers, "Idempotency-Key": key},
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    return asked


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
def default_items() -> dict[str, int] | None:
    """What ``place`` puts in a cart unless told otherwise (None: two shirts); a suite may override it."""
    return None


@pytest.fixture
def place(shop: TestClient, default_items: dict[str, int] | None) -> Callable[..., dict[str, Any]]:
    """Checks out a new cart; returns the checkout answer."""

    def placed(items: dict[str, int] | None = None, **cart: Any) -> dict[str, Any]:
        response = checkout(shop, ready_cart(shop, items or default_items, **cart), f"key-{uuid.uuid4().hex}")
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
    """Places an order, pays it by card (``payment_method``: one of the simulator's test cards) and waits until the
    webhook alone has made it fulfilled."""

    def paid_and_fulfilled(
        items: dict[str, int] | None = None, *, payment_method: str = "pm_card_visa", **cart: Any
    ) -> dict[str, Any]:
        order = place(items, **cart)
        provider.confirm(order["payment"]["provider_payment_id"], payment_method=payment_method)
        wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the order to be fulfilled")
        return order

    return paid_and_fulfilled
