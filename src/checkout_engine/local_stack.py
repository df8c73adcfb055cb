"""`checkout-engine run`: the API, a worker and the provider simulator together on the embedded database, so a
new user can complete a purchase end to end with one command."""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import sqlalchemy as sa
from pydantic import SecretStr

from checkout_engine import demo
from checkout_engine.admin import users
from checkout_engine.admin.roles import Role
from checkout_engine.db import migrate
from checkout_engine.db.engine import make_engine
from checkout_engine.db.tables import staff_users
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs.registry import HANDLERS, sweeps
from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.factory import build_provider
from checkout_engine.settings import STRIPE_API_BASE, Settings

DEMO_SECRET_KEY = "sk_test_checkout_engine_demo"
DEMO_PUBLISHABLE_KEY = "pk_test_checkout_engine_demo"
SIM_STARTUP_SECONDS = 20


def local_settings(settings: Settings, *, api_url: str, sim_port: int) -> Settings:
    """Point the provider at the local simulator unless the user configured a real one."""
    if settings.stripe_api_base != STRIPE_API_BASE:
        return settings
    return settings.model_copy(
        update={
            "stripe_api_base": f"http://127.0.0.1:{sim_port}",
            "stripe_secret_key": settings.stripe_secret_key or SecretStr(DEMO_SECRET_KEY),
            "stripe_publishable_key": settings.stripe_publishable_key or DEMO_PUBLISHABLE_KEY,
            "stripe_webhook_secret": settings.stripe_webhook_secret or SecretStr(f"whsec_{secrets.token_hex(16)}"),
        }
    )


DEMO_STAFF_EMAIL = "ops@demo.test"


def prepare_database(settings: Settings) -> tuple[bool, str | None]:
    """Migrate the embedded database, write the demo catalog into an empty shop and a demo admin login when there
    is no staff yet. Returns whether the catalog was written and the new login's password (shown once)."""
    engine = make_engine(settings.database_url, pool_size=1)
    migrate.upgrade(engine)
    with UnitOfWork(engine) as uow:
        seeded = demo.seed_if_empty(uow)
        password = None
        if uow.connection.execute(sa.select(staff_users.c.id).limit(1)).first() is None:
            password = secrets.token_urlsafe(12)
            users.create(uow.connection, email=DEMO_STAFF_EMAIL, role=Role.ADMIN, password=password)
        uow.commit()
    engine.dispose()
    return seeded, password


@contextmanager
def simulator(settings: Settings, *, api_url: str, sim_port: int) -> Iterator[None]:
    secret = settings.webhook_secrets()[0]
    command = [
        sys.executable,
        "-m",
        "provider_sim",
        "--host",
        "127.0.0.1",
        "--port",
        str(sim_port),
        "--webhook-url",
        f"{api_url}/webhooks/stripe",
        "--webhook-secret",
        secret,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + SIM_STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{settings.stripe_api_base}/_sim/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the provider simulator did not start on port {sim_port} (is the port taken?)")
        time.sleep(0.1)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def worker_thread(settings: Settings) -> Iterator[None]:
    engine = make_engine(settings.database_url)
    context = JobContext(engine, settings, provider_factory=lambda: build_provider(settings))
    worker = Worker(
        context, handlers=HANDLERS, sweeps=sweeps(settings), lease=timedelta(seconds=settings.job_lease_seconds)
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        engine.dispose()
