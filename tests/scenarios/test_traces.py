"""One purchase followed through the tracing system, as a team runs it: `serve` and `worker` processes with
`OTEL_TRACES_EXPORTER=console` print their spans, and the spans of the checkout request in the API and of the
fulfilment job in the worker share one trace id, as do the webhook's ingest and its processing."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from promises import pay, reaches
from sqlalchemy import Engine

from support.processes import ApiProcess, Fleet, eventually
from support.provider_sim_process import ProviderSimProcess


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    return {"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "checkout-engine-test"}


def spans_in(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{") and '"trace_id"' in line:
            span = json.loads(line)
            if isinstance(span.get("context"), dict):
                found.append(span)
    return found


def test_a_purchase_is_one_trace_from_the_api_into_the_worker(
    api: ApiProcess,
    fleet: Fleet,
    engine: Engine,
    sim: ProviderSimProcess,
    place: Callable[..., dict[str, Any]],
) -> None:
    order = place()
    pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")

    def traced() -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
        served = spans_in(api.log_text())
        worked = [span for worker in fleet.workers for span in spans_in(worker.log_text())]
        done = any(span["name"] == "job fulfill_order" for span in worked)
        return (served, worked) if done else None

    served, worked = eventually(traced, what="the worker's spans")
    [checkout] = [span for span in served if span["name"] == "POST /v1/carts/{cart_id}/checkout"]
    assert checkout["resource"]["attributes"]["service.name"] == "checkout-engine-test"
    [fulfilment] = [span for span in worked if span["name"] == "job fulfill_order"]
    assert fulfilment["context"]["trace_id"] == checkout["context"]["trace_id"]
    ingests = {span["context"]["trace_id"] for span in served if span["name"] == "POST /webhooks/stripe"}
    processed = {span["context"]["trace_id"] for span in worked if span["name"] == "job process_webhook"}
    assert processed and processed <= ingests
