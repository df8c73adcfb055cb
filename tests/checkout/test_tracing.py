"""Traces: with the SDK's in-memory exporter, a checkout is one trace (its request, its SQL, its provider call),
a provider webhook's ingest in the API and its processing in the worker are one trace, and the fulfilment the
payment leads to joins the checkout's trace. No span names or attributes hold an id from a path, a token or a
secret. (The same through real processes with `OTEL_TRACES_EXPORTER=console`: tests/scenarios/test_traces.py.)"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import Engine

from checkout_engine.observability import tracing
from checkout_engine.payments.provider import PaymentProvider
from support.pipeline import Pipeline
from support.stack import ADMIN_KEY, WEBHOOK_SECRET


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for this test only; requested before the app is built, so that the app traces its requests."""
    exporter = InMemorySpanExporter()
    tracing.configure(exporter=exporter)
    yield exporter
    tracing.shutdown()


def named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.name == name]


def in_trace(spans: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.context.trace_id == trace_id]


def test_a_checkout_and_its_webhook_are_traced_from_the_api_into_the_worker(
    spans: InMemorySpanExporter,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
    engine: Engine,
) -> None:
    order = place()
    [checkout] = named(spans, "POST /v1/carts/{cart_id}/checkout")
    assert checkout.kind is SpanKind.SERVER and checkout.parent is None
    assert checkout.attributes is not None and checkout.attributes["http.route"] == "/v1/carts/{cart_id}/checkout"
    assert checkout.attributes["http.response.status_code"] == 201
    inside = in_trace(spans, checkout.context.trace_id)
    assert any(span.name == "provider create_intent" and span.kind is SpanKind.CLIENT for span in inside)
    statements = [span for span in inside if span.name.startswith("db ")]
    assert {"db INSERT", "db SELECT", "db UPDATE"} <= {span.name for span in statements}
    assert all(span.parent is not None for span in statements)

    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the order to be fulfilled")

    ingests = {span.context.span_id: span for span in named(spans, "POST /webhooks/stripe")}
    processed = named(spans, "job process_webhook")
    assert ingests and processed
    for job in processed:  # each processing continues the trace of the request that stored its event
        assert job.parent is not None and job.parent.span_id in ingests
        assert job.context.trace_id == ingests[job.parent.span_id].context.trace_id
    reads = [span for job in processed for span in in_trace(spans, job.context.trace_id)]
    assert any(span.name == "provider retrieve" for span in reads)
    [fulfilment] = named(spans, "job fulfill_order")
    assert fulfilment.context.trace_id == checkout.context.trace_id  # the checkout and the fulfilment it led to

    forbidden = [
        order["order_id"],
        order["order_token"],
        order["payment"]["client_secret"],
        order["payment"]["provider_payment_id"],
        ADMIN_KEY,
        WEBHOOK_SECRET,
        "sk_test_",
    ]
    for span in spans.get_finished_spans():
        said = " ".join([span.name, *(f"{key}={value}" for key, value in (span.attributes or {}).items())])
        assert not [secret for secret in forbidden if secret in said], (span.name, said)
        assert "/v1/carts/cart_" not in said


def test_without_otel_settings_nothing_is_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert not tracing.configure() and not tracing.enabled()
    assert tracing.traceparent() is None
    with tracing.span("nothing") as current:
        assert current is None
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert not tracing.wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"})
