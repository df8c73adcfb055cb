"""Webhook duplicate (playbook test 3): the provider delivers every event twice — at once, to an API whose two worker
processes race to process them — and a retry of an already processed event arrives again later.

What must hold: each event is stored once and counted as delivered twice; the order moves through each state once
(one paid transition, one shipment, one receipt); the money is taken once; a late duplicate is acknowledged with
200 and changes nothing."""

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from promises import (
    HAPPY_PATH,
    assert_charged_once,
    deliver,
    moves,
    pay,
    provider_events,
    reaches,
    shipments,
    stored_events,
    work_done,
)
from sqlalchemy import Engine

from checkout_engine.db.tables import receipts
from support.processes import ApiProcess, eventually
from support.provider_sim_process import ProviderSimProcess


@pytest.fixture
def worker_count() -> int:
    """Two worker processes, so that both copies of an event can be processed at the same moment."""
    return 2


def test_every_event_delivered_twice_still_moves_the_order_once(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Callable[..., dict[str, Any]]
) -> None:
    sim.configure_webhooks(duplicate_rate=1.0, seed=7)
    order = place()
    intent = pay(sim, order)

    reaches(engine, order["order_id"], "fulfilled")
    sim.flush_webhooks()
    sent = {event["id"] for event in provider_events(sim, intent["id"])}

    def every_event_twice_and_done() -> list[tuple[str, str, int, str]] | None:
        stored = stored_events(engine)
        done = {event_id for event_id, _, count, status in stored if count == 2 and status != "received"}
        return stored if done == sent else None

    stored = eventually(every_event_twice_and_done, what="each event to be stored once and counted twice")
    assert len(stored) == len(sent) and {t for _, t, _, _ in stored} >= {"payment_intent.succeeded"}
    assert moves(engine, order["order_id"]) == HAPPY_PATH
    assert shipments(engine, order["order_id"]) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(receipts)).scalar() == 1
    assert_charged_once(sim, order["order_id"], order["total"])

    events = provider_events(sim, intent["id"])
    succeeded = next(event for event in events if event["type"] == "payment_intent.succeeded")
    late = deliver(api.url, succeeded)  # the provider's retry, long after
    assert late.status_code == 200 and late.json() == {"received": True, "duplicate": True}
    eventually(
        lambda: next(c for e, _, c, _ in stored_events(engine) if e == succeeded["id"]) == 3,
        what="the late duplicate to be counted",
    )
    eventually(lambda: work_done(engine), what="the workers to finish every job")
    assert moves(engine, order["order_id"]) == HAPPY_PATH
    assert shipments(engine, order["order_id"]) == 1
