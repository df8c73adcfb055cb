"""Refund retry (playbook test 8): support refunds a fulfilled order; the worker process submitting the refund is
SIGKILLed after the provider made the refund but before the answer came back. Its job's lease runs out and the
other worker process retries it; meanwhile support, unsure, sends the same request again.

What must hold: no double refund. The provider holds exactly one refund, for the amount asked; our refund record
ends `succeeded` with that provider refund; the order ends `refunded` once; the repeated request is a replay, and
nothing more can be refunded."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from promises import assert_charged_once, moves, pay, reaches, refunded_amounts
from sqlalchemy import Engine

from checkout_engine.db.tables import jobs, refunds
from support.http import assert_error
from support.processes import Fleet, eventually
from support.provider_sim_process import ProviderSimProcess

LEASE_SECONDS = 3


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    """A dead worker's job is taken over after 3 s; a hanging provider call is waited on far longer than that."""
    return {"CHECKOUT_JOB_LEASE_SECONDS": str(LEASE_SECONDS), "CHECKOUT_PROVIDER_TIMEOUT_SECONDS": "60"}


@pytest.fixture
def worker_count() -> int:
    """Two worker processes, so that one can take over the job of the other when it is killed."""
    return 2


def refund_job(engine: Engine) -> sa.Row[Any] | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(jobs).where(jobs.c.kind == "submit_refund")).first()


def ask_for_refund(shop: httpx.Client, headers: dict[str, str], order_id: str, amount: int) -> httpx.Response:
    return shop.post(
        f"/admin/v1/orders/{order_id}/refunds",
        json={"amount": amount, "reason": "customer returned the parcel"},
        headers={**headers, "Idempotency-Key": "support-refund-1"},
    )


def test_a_refund_whose_worker_was_killed_after_the_provider_made_it_is_made_exactly_once(
    shop: httpx.Client,
    fleet: Fleet,
    engine: Engine,
    sim: ProviderSimProcess,
    place: Callable[..., dict[str, Any]],
    admin_headers: dict[str, str],
) -> None:
    order = place()
    intent = pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")
    # The provider will make the refund, then hold the answer back until the caller gives up.
    sim.add_fault("POST", "/v1/refunds", "timeout_after_commit", count=1)

    requested = ask_for_refund(shop, admin_headers, order["order_id"], order["total"])
    assert requested.status_code == 201 and requested.json()["status"] == "requested", requested.text
    eventually(lambda: refunded_amounts(sim, intent["id"]) == [order["total"]], what="the provider to make it")
    running = eventually(
        lambda: (job := refund_job(engine)) is not None and job.status == "running" and job,
        what="a worker to hold the refund job",
    )
    doomed = fleet.worker_with_pid(int(running.lease_owner.split(":")[1]))
    doomed.kill()  # while it waits for the provider's answer

    again = ask_for_refund(shop, admin_headers, order["order_id"], order["total"])  # support clicks again
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.text == requested.text

    reaches(engine, order["order_id"], "refunded")
    finished = eventually(
        lambda: (job := refund_job(engine)) is not None and job.status == "done" and job,
        what="the other worker to finish the refund job",
    )
    assert finished.attempts >= 2 and finished.lease_owner != running.lease_owner
    assert refunded_amounts(sim, intent["id"]) == [order["total"]]
    with engine.connect() as conn:
        ours = conn.execute(sa.select(refunds.c.status, refunds.c.amount, refunds.c.provider_refund_id)).all()
    [provider_refund] = sim.stripe_client().v1.refunds.list(params={"payment_intent": intent["id"]}).data
    assert ours == [("succeeded", order["total"], provider_refund.id)]
    assert [step for step in moves(engine, order["order_id"]) if step[1] == "refunded"] == [("fulfilled", "refunded")]
    assert_charged_once(sim, order["order_id"], order["total"])
    more = shop.post(
        f"/admin/v1/orders/{order['order_id']}/refunds",
        json={"amount": 1, "reason": "one more cent"},
        headers={**admin_headers, "Idempotency-Key": "support-refund-2"},
    )
    assert assert_error(more, 422, "refund_exceeds_captured")["details"]["refundable"] == 0
