"""A worker process killed with SIGKILL in the middle of a job loses nothing: its lease runs out, another worker
process finishes the job, and the job's effect happens exactly once."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import inventory, jobs, order_events, orders
from checkout_engine.settings import Settings
from support.checkout import checkout, intents_for, ready_cart
from support.provider_sim_process import ProviderSimProcess, wait_for

LEASE_SECONDS = 2


@contextmanager
def worker_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "CHECKOUT_DATABASE_URL": settings.database_url,
        "CHECKOUT_STRIPE_API_BASE": settings.stripe_api_base,
        "CHECKOUT_STRIPE_SECRET_KEY": "sk_test_engine",
        "CHECKOUT_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "CHECKOUT_SWEEP_INTERVAL_SECONDS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "checkout_engine.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def job_row(engine: Engine) -> sa.Row[tuple[object, ...]] | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(jobs).where(jobs.c.kind == "expire_order")).first()


def test_a_job_killed_mid_flight_is_finished_once_by_another_worker(
    shop: TestClient, engine: Engine, settings: Settings, sim: ProviderSimProcess
) -> None:
    body = checkout(shop, ready_cart(shop), "k").json()
    with engine.begin() as conn:
        conn.execute(sa.update(orders).values(expires_at=utcnow() - timedelta(seconds=1)))
    # The job's first provider call hangs, so the first worker is certainly mid-job when it is killed.
    sim.add_fault("GET", "/v1/payment_intents/", "latency", count=1, latency_ms=30_000)

    with worker_process(settings) as first:
        running = wait_for(
            lambda: (row := job_row(engine)) is not None and row.status == "running" and row,
            timeout=30,
            what="the first worker to claim the job",
        )
        # Kill only once its provider call is in flight (the simulator has used up the hanging fault).
        wait_for(lambda: sim.sim("GET", "/_sim/faults")["data"] == [], timeout=30, what="the job's provider call")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert running.attempts == 1

    with worker_process(settings):
        wait_for(
            lambda: (row := job_row(engine)) is not None and row.status == "done",
            timeout=40,
            what="the second worker to finish the job",
        )

    done = job_row(engine)
    assert done is not None and done.attempts == 2 and done.lease_owner != running.lease_owner
    with engine.connect() as conn:
        expirations = conn.execute(
            sa.select(sa.func.count()).select_from(order_events).where(order_events.c.to_state == "expired")
        ).scalar()
        state = conn.execute(sa.select(orders.c.state)).scalar_one()
        reserved = conn.execute(sa.select(inventory.c.reserved).where(inventory.c.sku == "SHIRT")).scalar_one()
    assert (expirations, state, reserved) == (1, "expired", 0)
    assert [intent["status"] for intent in intents_for(sim, body["order_id"])] == ["canceled"]
