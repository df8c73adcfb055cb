"""Outgoing webhooks, as a shop's warehouse receives them: `serve` and a `worker` process deliver the events of a
paid physical order to a receiver process over HTTP, signed and sequenced; a receiver that answers 500 gets the
event on a later attempt, and the delivery log shows what failed."""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from promises import pay, reaches
from sqlalchemy import Engine

from checkout_engine.outgoing import signing
from support.processes import eventually
from support.provider_sim_process import ProviderSimProcess
from support.receiver import Receiver


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    """The receiver listens on 127.0.0.1; retries come quickly, so that a test sees them."""
    return {"CHECKOUT_OUTGOING_WEBHOOKS_ALLOW_PRIVATE": "true", "CHECKOUT_OUTGOING_WEBHOOK_RETRY_BASE_SECONDS": "0.5"}


def register(shop: httpx.Client, headers: dict[str, str], endpoint_id: str, url: str, events: list[str]) -> Any:
    answer = shop.put(
        f"/admin/v1/webhook-endpoints/{endpoint_id}",
        json={"url": url, "events": events, "reason": "the warehouse integration"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def events_of(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(request["body"]) for request in receiver.received() if request["status"] == 200]


def test_a_paid_physical_order_tells_the_warehouse_signed_and_in_order(
    shop: httpx.Client,
    engine: Engine,
    sim: ProviderSimProcess,
    place: Callable[..., dict[str, Any]],
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    with Receiver(tmp_path) as receiver:
        wanted = ["order.paid", "order.fulfillment_requested", "order.fulfilled"]
        endpoint = register(shop, admin_headers, "warehouse", receiver.url, wanted)
        secret = endpoint["secret"]
        assert secret.startswith("whsec_")
        listed = shop.get("/admin/v1/webhook-endpoints", headers=admin_headers).json()["data"]
        assert [item["id"] for item in listed] == ["warehouse"] and "secret" not in listed[0]
        assert listed[0]["secret_hint"] == f"…{secret[-4:]}"

        order = place()
        pay(sim, order)
        reaches(engine, order["order_id"], "fulfilled")
        got = eventually(lambda: events_of(receiver) if len(receiver.received()) >= 3 else None, what="three events")

        assert [event["type"] for event in got] == wanted
        assert {event["data"]["order"]["id"] for event in got} == {order["order_id"]}
        sequences = [event["sequence"] for event in got]
        assert sequences == sorted(sequences) and len(set(sequences)) == 3
        assert len({event["id"] for event in got}) == 3
        requested = got[1]["data"]
        assert requested["lines"] == [{"sku": "SHIRT", "quantity": 2}]
        assert requested["shipping_address"]["country"] == "DE"
        for request in receiver.received():
            header = request["headers"][signing.HEADER]
            assert signing.verify(secret, header, request["body"].encode(), now=int(time.time()))
            assert not signing.verify("whsec_another", header, request["body"].encode(), now=int(time.time()))
        assert len(receiver.received()) == 3  # each event once


def test_a_receiver_failing_twice_gets_the_event_later_and_the_log_shows_why(
    shop: httpx.Client,
    engine: Engine,
    sim: ProviderSimProcess,
    place: Callable[..., dict[str, Any]],
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    with Receiver(tmp_path, answers=[500, 500]) as receiver:
        register(shop, admin_headers, "erp", receiver.url, ["order.paid"])
        order = place()
        pay(sim, order)
        got = eventually(lambda: events_of(receiver) or None, what="the event, after two failures")
        assert [event["type"] for event in got] == ["order.paid"]
        tries = receiver.received()
        assert [request["status"] for request in tries] == [500, 500, 200]
        assert len({json.loads(request["body"])["id"] for request in tries}) == 1  # one event, sent three times

        def delivered() -> list[dict[str, Any]] | None:
            page = shop.get("/admin/v1/webhook-endpoints/erp/deliveries", headers=admin_headers).json()["data"]
            return page if page and page[0]["status"] == "delivered" else None

        [delivery] = eventually(delivered, what="the delivery log to say delivered")
        assert delivery["attempts"] == 3 and delivery["type"] == "order.paid"
        assert [entry["status_code"] for entry in delivery["attempt_log"]] == [200, 500, 500]
        assert delivery["attempt_log"][1]["error"] == "answered 500"

        replayed = shop.post(
            f"/admin/v1/webhook-deliveries/{delivery['id']}/replay",
            json={"reason": "the ERP lost it"},
            headers=admin_headers,
        )
        assert replayed.status_code == 200, replayed.text
        eventually(lambda: len(receiver.received()) == 4 or None, what="the replayed delivery")
        assert json.loads(receiver.received()[-1]["body"])["id"] == got[0]["id"]
