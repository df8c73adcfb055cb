"""Traces through OpenTelemetry, configured by the standard ``OTEL_*`` variables (``OTEL_TRACES_EXPORTER``,
``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``, …). With none of them set, no tracer exists and every hook
here returns at its first line.

What is traced: each API request (named by its route template, never by the ids in its path, which may be
capabilities), each SQL statement, each provider call, and each job the worker runs. A job carries the trace
context of the transaction that queued it, so a webhook's ingest in the API and its processing in the worker are
one trace; an order remembers the trace of its checkout, so the fulfilment it leads to joins that trace. Span
attributes hold names, never values: no body, query string, id or secret."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
SERVICE = "checkout-engine"
_PROPAGATOR = TraceContextTextMapPropagator()


@dataclass
class _State:
    tracer: trace.Tracer | None = None
    provider: TracerProvider | None = None


_state = _State()


def enabled() -> bool:
    return _state.tracer is not None


def wanted(env: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters == "none":
        return False
    return bool(exporters or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def _console() -> SpanExporter:
    # One line per span, so that it can be read back out of a log.
    return ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + os.linesep)


def _exporters(env: Mapping[str, str]) -> list[tuple[SpanExporter, bool]]:
    """(exporter, batched) for each name in ``OTEL_TRACES_EXPORTER`` (default ``otlp``)."""
    names = [name.strip() for name in env.get("OTEL_TRACES_EXPORTER", "otlp").lower().split(",") if name.strip()]
    chosen: list[tuple[SpanExporter, bool]] = []
    for name in names:
        if name == "console":
            chosen.append((_console(), False))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            chosen.append((OTLPSpanExporter(), True))  # reads OTEL_EXPORTER_OTLP_* itself
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: {name!r} is not one of otlp, console, none")
    return chosen


def configure(*, exporter: SpanExporter | None = None, env: Mapping[str, str] = os.environ) -> bool:
    """Start tracing if the environment asks for it (or with ``exporter``, for tests); once per process."""
    if _state.tracer is not None:
        return True
    if exporter is None and not wanted(env):
        return False
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or SERVICE})
    provider = TracerProvider(resource=resource)
    for chosen, batched in [(exporter, False)] if exporter is not None else _exporters(env):
        provider.add_span_processor(BatchSpanProcessor(chosen) if batched else SimpleSpanProcessor(chosen))
    _state.provider, _state.tracer = provider, provider.get_tracer("checkout_engine")
    return True


def shutdown() -> None:
    """Flush what is buffered and stop tracing (a process's end, or a test's)."""
    if _state.provider is not None:
        _state.provider.shutdown()
    _state.provider = _state.tracer = None


@contextmanager
def span(name: str, *, kind: SpanKind = SpanKind.INTERNAL, **attributes: Any) -> Iterator[Span | None]:
    """A span around a block, the current one inside it; nothing when tracing is off."""
    tracer = _state.tracer
    if tracer is None:
        yield None
        return
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as current:
        yield current


def start(name: str, *, kind: SpanKind, **attributes: Any) -> Span | None:
    """A span to end by hand (``finish``), a child of the current one, not made current."""
    tracer = _state.tracer
    return tracer.start_span(name, kind=kind, attributes=attributes) if tracer is not None else None


def finish(current: Span | None, error: BaseException | None = None) -> None:
    if current is None:
        return
    if error is not None:
        current.set_status(Status(StatusCode.ERROR, type(error).__name__))
    current.end()


def traceparent() -> str | None:
    """The current trace context as a W3C ``traceparent``, to store with work queued now; None when off."""
    if _state.tracer is None:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


@contextmanager
def continued(
    parent: str | None, name: str, *, kind: SpanKind = SpanKind.CONSUMER, **attributes: Any
) -> Iterator[Span | None]:
    """A span that continues the trace ``parent`` names (or starts a new one), current inside the block."""
    if _state.tracer is None:
        yield None
        return
    parent_context = _PROPAGATOR.extract({TRACEPARENT: parent}) if parent else otel_context.Context()
    token = otel_context.attach(parent_context)
    try:
        with span(name, kind=kind, **attributes) as current:
            yield current
    finally:
        otel_context.detach(token)


class TraceRequests:
    """ASGI middleware: a server span per HTTP request, continuing the caller's ``traceparent``, named by the
    route template once routing has found it (``POST /v1/carts/{cart_id}/checkout``)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _state.tracer is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        parent = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"traceparent"), None)
        answered: dict[str, int] = {}

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
            await send(message)

        with continued(parent, method, kind=SpanKind.SERVER, **{"http.request.method": method}) as current:
            try:
                await self.app(scope, receive, sending)
            finally:
                assert current is not None
                route = getattr(scope.get("route"), "path", None)
                if route is not None:
                    current.update_name(f"{method} {route}")
                    current.set_attribute("http.route", route)
                if "status" in answered:
                    current.set_attribute("http.response.status_code", answered["status"])
                    if answered["status"] >= 500:
                        current.set_status(Status(StatusCode.ERROR))


def trace_statements(engine: Any) -> None:
    """A client span per SQL statement: the database system and the statement's verb, never its text's values."""
    import sqlalchemy as sa

    system = engine.dialect.name

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _begin(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if _state.tracer is None or context is None:
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        context._trace_span = start(
            f"db {verb}", kind=SpanKind.CLIENT, **{"db.system.name": system, "db.operation.name": verb}
        )

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _end(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        finish(getattr(context, "_trace_span", None))

    @sa.event.listens_for(engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        context = exception_context.execution_context
        finish(getattr(context, "_trace_span", None), exception_context.original_exception)
