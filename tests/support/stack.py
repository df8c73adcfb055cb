"""The whole product for tests: PostgreSQL, the simulator process, the app in-process and over real HTTP, a worker
the test drives, and the simulator's webhooks wired to the live API. Conftests import these fixtures by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from checkout_engine.api.app import create_app
from checkout_engine.jobs.registry import HANDLERS
from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.factory import build_provider
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.catalog import seed_catalog
from support.live_server import serve_in_thread
from support.pipeline import Pipeline
from support.provider_sim_process import ProviderSimProcess
from support.sweeps import housekeeping

ADMIN_KEY = "test-bootstrap-admin-key"
WEBHOOK_SECRET = "whsec_engine_tests"


@pytest.fixture
def settings(db_url: str, sim: ProviderSimProcess) -> Settings:
    return Settings(
        database_url=db_url,
        bootstrap_admin_key=SecretStr(ADMIN_KEY),
        stripe_secret_key=SecretStr("sk_test_engine"),
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
def wired(live: str, sim: ProviderSimProcess, worker: Worker) -> Pipeline:
    """The simulator delivers signed webhooks to the live API; ``pump()`` delivers and processes everything due."""
    sim.configure_webhooks(url=f"{live}/webhooks/stripe", secret=WEBHOOK_SECRET, backoff_base_ms=20, backoff_max_ms=200)
    return Pipeline(sim, worker, api_url=live, secret=WEBHOOK_SECRET)
