"""One Hypothesis example's world: a database of its own (cloned from the seeded template), the app in-process
(``client``) and over real HTTP (``live``, for concurrent clients and the simulator's webhooks), a worker the model
drives (and one that processes webhook events only), and the shared simulator process, reset and told to deliver
webhooks only when flushed; ``books`` lists its records for the invariants."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from checkout_engine.api.app import create_app
from checkout_engine.chaos.simulator import SimControl
from checkout_engine.db.engine import make_engine
from checkout_engine.jobs.registry import HANDLERS
from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.factory import build_provider
from checkout_engine.settings import Settings
from checkout_engine.webhooks import processor
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.live_server import serve_in_thread
from support.pipeline import Pipeline
from support.provider_sim_process import ProviderSimProcess

ADMIN_KEY = "model-bootstrap-admin-key"
ENGINE_KEY = "sk_test_model"  # the provider keeps idempotency keys per API key: a rule plants calls under it
WEBHOOK_SECRET = "whsec_model"
POOL_SIZE = 5  # per example; the machine is shared with other test runs
# Short, so that a `timeout_after_commit` fault costs little; far above a healthy simulator's answer time.
PROVIDER_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class Databases:
    """The seeded template and the root conftest's helpers to clone and drop databases."""

    template: str
    stock: dict[str, int]
    create: Callable[..., str]
    drop: Callable[[str], None]
    url_for: Callable[[str], str]


class World:
    def __init__(self, databases: Databases, sim: ProviderSimProcess) -> None:
        self._databases = databases
        self._exits = contextlib.ExitStack()
        try:
            self._open(databases, sim)
        except BaseException:
            self._exits.close()
            raise

    def _open(self, databases: Databases, sim: ProviderSimProcess) -> None:
        self.database = databases.create(template=databases.template)
        self._exits.callback(databases.drop, self.database)
        url = databases.url_for(self.database)
        self.engine = make_engine(url, pool_size=POOL_SIZE)
        self._exits.callback(self.engine.dispose)
        self.settings = Settings(
            database_url=url,
            bootstrap_admin_key=SecretStr(ADMIN_KEY),
            stripe_secret_key=SecretStr(ENGINE_KEY),
            stripe_api_base=sim.url,
            provider_timeout_seconds=PROVIDER_TIMEOUT_SECONDS,
            stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
        )
        self.provider = build_provider(self.settings)
        self.client = TestClient(create_app(self.settings, engine=self.engine, provider=self.provider))
        self.live = self._exits.enter_context(
            serve_in_thread(create_app(self.settings, engine=self.engine, provider=self.provider))
        )
        self.http = self._exits.enter_context(httpx.Client(base_url=self.live, timeout=30.0, trust_env=False))
        self.sim = sim
        self._exits.callback(sim.reset)
        sim.reset()
        sim.configure_webhooks(
            url=f"{self.live}/webhooks/stripe", secret=WEBHOOK_SECRET, paused=True, backoff_base_ms=20, seed=0
        )
        # Nothing settles behind the model's back: delayed payments and refunds wait for /_sim settle calls.
        sim.configure_settlement(payment_delay_ms=None, refund_delay_ms=None)
        self.stripe = sim.stripe_client()
        self.as_engine = sim.stripe_client(ENGINE_KEY)
        self.books = SimControl(sim.url)
        self._exits.callback(self.books.close)
        self.context = JobContext(self.engine, self.settings, provider_factory=lambda: self.provider)
        self.worker = Worker(self.context, handlers=HANDLERS)
        # Provider events processed while no other job runs: an authorization recorded, its capture still queued.
        self.events_worker = Worker(self.context, handlers={PROCESS_WEBHOOK: processor.process})
        self.pipeline = Pipeline(sim, self.worker, api_url=self.live, secret=WEBHOOK_SECRET)
        self.admin = {"Authorization": f"Bearer {ADMIN_KEY}"}

    @property
    def stock(self) -> dict[str, int]:
        return self._databases.stock

    def close(self) -> None:
        self._exits.close()
