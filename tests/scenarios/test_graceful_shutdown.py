"""Graceful shutdown (deployment): an orchestrator stops processes with SIGTERM while they are mid-work, at every
deploy and every scale-in.

What must hold: a worker given SIGTERM in the middle of a job finishes that job (its effect happens, the job is
`done`, not left `running` for a lease to expire) and then exits cleanly; an API process given SIGTERM while a
checkout is in flight answers that checkout with its 201 before it exits cleanly."""

import threading
from typing import Any

import httpx
import sqlalchemy as sa
from promises import a_ready_cart, check_out, pay, reaches
from sqlalchemy import Engine

from checkout_engine.db.tables import jobs, webhook_events
from support.processes import ApiProcess, Fleet, eventually
from support.provider_sim_process import ProviderSimProcess

SLOW_PROVIDER_MS = 2500  # long enough to be certainly mid-call when the signal lands


def job_statuses(engine: Engine, kind: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(jobs.c.status).where(jobs.c.kind == kind)).scalars())


def running_event_types(engine: Engine) -> set[str]:
    """The types of the provider events whose processing jobs are running now."""
    with engine.connect() as conn:
        payloads = conn.execute(
            sa.select(jobs.c.payload).where(jobs.c.kind == "process_webhook", jobs.c.status == "running")
        ).scalars()
        ids = [int(payload["webhook_event_id"]) for payload in payloads]
        types = conn.execute(sa.select(webhook_events.c.type).where(webhook_events.c.id.in_(ids))).scalars()
        return set(types)


def test_a_worker_stopped_mid_job_finishes_it_then_exits(
    fleet: Fleet, api: ApiProcess, shop: httpx.Client, engine: Engine, sim: ProviderSimProcess
) -> None:
    order = check_out(shop, a_ready_cart(shop), "graceful-worker").json()
    # Webhook processing reads the payment from the provider; that read now takes a while.
    sim.add_fault("GET", "/v1/payment_intents", "latency", count=50, latency_ms=SLOW_PROVIDER_MS)
    pay(sim, order)
    # The payment's own event, not one of its charge's companion events (quick: they need no provider read).
    eventually(lambda: "payment_intent.succeeded" in running_event_types(engine), what="the payment's job to run")
    (worker,) = fleet.workers
    worker.terminate()

    assert worker.finish_stopping(timeout=30) is None, worker.log_tail()
    assert "running" not in job_statuses(engine, "process_webhook")
    assert "done" in job_statuses(engine, "process_webhook")
    reaches(engine, order["order_id"], "paid")


def test_an_api_stopped_mid_checkout_answers_it_then_exits(
    api: ApiProcess, shop: httpx.Client, sim: ProviderSimProcess
) -> None:
    cart_id = a_ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "latency", count=1, latency_ms=SLOW_PROVIDER_MS)
    answer: dict[str, Any] = {}
    customer = threading.Thread(target=lambda: answer.update(response=check_out(shop, cart_id, "graceful-api")))
    customer.start()
    # The fault is used up once the call arrived: the checkout is now waiting at the provider.
    eventually(lambda: sim.sim("GET", "/_sim/faults")["data"] == [] or None, what="the checkout to reach the provider")
    api.terminate()

    customer.join(timeout=30)
    assert answer["response"].status_code == 201, answer["response"].text
    assert api.finish_stopping(timeout=30) is None, api.log_tail()
