"""The `/_sim` control endpoints: JSON, no authentication, for tests and demos on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provider_sim.errors import StripeApiError, invalid_request
from provider_sim.faults import FaultMode
from provider_sim.objects import JsonObject
from provider_sim.refunds import DISPUTE_REASONS
from provider_sim.state import SimState

Outcome = Literal["succeed", "fail"]
# Ten years at most in one call: far past any deadline the simulator keeps, yet every client can still render it.
MAX_ADVANCE_SECONDS = 10 * 366 * 24 * 60 * 60
Body = TypeVar("Body", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultSpec(_Strict):
    method: str = "*"
    path: str = Field(pattern=r"^/")
    mode: FaultMode
    count: int = Field(default=1, ge=1)
    latency_ms: int = Field(default=0, ge=0)


class WebhookUpdate(_Strict):
    url: str | None = None
    secret: str | None = Field(default=None, min_length=1)
    duplicate_rate: float | None = Field(default=None, ge=0, le=1)
    drop_rate: float | None = Field(default=None, ge=0, le=1)
    delay_ms: int | None = Field(default=None, ge=0)
    reorder_window_ms: int | None = Field(default=None, ge=0)
    paused: bool | None = None
    seed: int | None = None
    backoff_base_ms: int | None = Field(default=None, ge=1)
    backoff_max_ms: int | None = Field(default=None, ge=1)
    timeout_ms: int | None = Field(default=None, ge=1)
    max_attempts: int | None = Field(default=None, ge=1)
    concurrency: int | None = Field(default=None, ge=1, le=64)


_NULLABLE = frozenset({"url", "max_attempts"})


class SettlementUpdate(_Strict):
    payment_delay_ms: int | None = Field(default=None, ge=0)
    refund_delay_ms: int | None = Field(default=None, ge=0)
    refund_outcome: Outcome | None = None


class ClockAdvance(_Strict):
    advance_seconds: StrictInt = Field(ge=0, le=MAX_ADVANCE_SECONDS)


class OutcomeBody(_Strict):
    outcome: Outcome | None = None


class IntentPatch(_Strict):
    amount: int | None = Field(default=None, ge=1)
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")


class DisputeBody(_Strict):
    amount: int | None = Field(default=None, ge=1)
    reason: str = "fraudulent"


async def _body(request: Request, model: type[Body]) -> Body:
    raw = await request.body()
    try:
        return model.model_validate(json.loads(raw) if raw.strip() else {})
    except (ValueError, ValidationError) as error:
        raise invalid_request(f"Invalid body: {error}") from None


def _state(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


def _succeeds(outcome: Outcome | None) -> bool | None:
    return None if outcome is None else outcome == "succeed"


async def health(request: Request) -> JsonObject:
    # The pid lets a launcher tell its own process from another one already on the port.
    return {"status": "ok", "pid": os.getpid()}


async def reset(request: Request) -> JsonObject:
    _state(request).reset()
    return {"reset": True}


async def show_clock(request: Request) -> JsonObject:
    return _state(request).simulator.clock.to_dict()


async def advance_clock(request: Request) -> JsonObject:
    body = await _body(request, ClockAdvance)
    return _state(request).advance_clock(body.advance_seconds)


async def add_fault(request: Request) -> JsonObject:
    spec = await _body(request, FaultSpec)
    fault = _state(request).faults.add(spec.method, spec.path, spec.mode, spec.count, spec.latency_ms)
    return fault.to_dict()


async def list_faults(request: Request) -> JsonObject:
    return {"data": [fault.to_dict() for fault in _state(request).faults.armed()]}


async def clear_faults(request: Request) -> JsonObject:
    faults = _state(request).faults
    cleared = len(faults.armed())
    faults.clear()
    return {"cleared": cleared}


def _webhook_view(state: SimState) -> JsonObject:
    return {**state.webhooks.settings.to_dict(), "pending": state.webhooks.pending_count()}


async def configure_webhooks(request: Request) -> JsonObject:
    update = await _body(request, WebhookUpdate)
    state = _state(request)
    changes = update.model_dump(include=update.model_fields_set)
    # Only the URL and the attempt limit may be switched off with null.
    changes = {name: value for name, value in changes.items() if value is not None or name in _NULLABLE}
    state.webhooks.configure(changes)
    return _webhook_view(state)


async def show_webhooks(request: Request) -> JsonObject:
    return _webhook_view(_state(request))


async def flush_webhooks(request: Request) -> JsonObject:
    return await _state(request).webhooks.flush()


async def webhook_deliveries(request: Request) -> JsonObject:
    return {"data": _state(request).webhooks.deliveries(request.query_params.get("event_id"))}


async def configure_settlement(request: Request) -> JsonObject:
    update = await _body(request, SettlementUpdate)
    settlement = _state(request).simulator.settlement
    given = update.model_fields_set
    if "payment_delay_ms" in given:
        settlement.payment_delay_ms = update.payment_delay_ms
    if "refund_delay_ms" in given:
        settlement.refund_delay_ms = update.refund_delay_ms
    if update.refund_outcome is not None:
        settlement.refunds_succeed = update.refund_outcome == "succeed"
    return settlement.to_dict()


async def show_settlement(request: Request) -> JsonObject:
    return _state(request).simulator.settlement.to_dict()


async def authenticate(request: Request) -> JsonObject:
    body = await _body(request, OutcomeBody)
    succeed = _succeeds(body.outcome)
    return _state(request).simulator.authenticate(request.path_params["id"], succeed is not False)


async def settle_payment(request: Request) -> JsonObject:
    body = await _body(request, OutcomeBody)
    return _state(request).simulator.settle_payment(request.path_params["id"], _succeeds(body.outcome))


async def alter_payment_intent(request: Request) -> JsonObject:
    patch = await _body(request, IntentPatch)
    currency = patch.currency.lower() if patch.currency else None
    return _state(request).simulator.alter_payment_intent(request.path_params["id"], patch.amount, currency)


async def open_dispute(request: Request) -> JsonObject:
    body = await _body(request, DisputeBody)
    if body.reason not in DISPUTE_REASONS:
        raise invalid_request(f"Invalid reason: must be one of {', '.join(sorted(DISPUTE_REASONS))}")
    return _state(request).simulator.open_dispute(request.path_params["id"], body.amount, body.reason)


async def settle_refund(request: Request) -> JsonObject:
    body = await _body(request, OutcomeBody)
    return _state(request).simulator.settle_refund(request.path_params["id"], _succeeds(body.outcome))


def _json_endpoint(
    handler: Callable[[Request], Awaitable[JsonObject]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return JSONResponse(await handler(request))
        except StripeApiError as error:
            return JSONResponse(error.body(), status_code=error.status)

    return endpoint


_ROUTES: tuple[tuple[str, str, Callable[[Request], Awaitable[JsonObject]]], ...] = (
    ("GET", "/_sim/health", health),
    ("POST", "/_sim/reset", reset),
    ("GET", "/_sim/clock", show_clock),
    ("POST", "/_sim/clock", advance_clock),
    ("POST", "/_sim/faults", add_fault),
    ("GET", "/_sim/faults", list_faults),
    ("DELETE", "/_sim/faults", clear_faults),
    ("PUT", "/_sim/webhooks", configure_webhooks),
    ("GET", "/_sim/webhooks", show_webhooks),
    ("POST", "/_sim/webhooks/flush", flush_webhooks),
    ("GET", "/_sim/webhooks/deliveries", webhook_deliveries),
    ("PUT", "/_sim/settlement", configure_settlement),
    ("GET", "/_sim/settlement", show_settlement),
    ("PATCH", "/_sim/payment_intents/{id}", alter_payment_intent),
    ("POST", "/_sim/payment_intents/{id}/authenticate", authenticate),
    ("POST", "/_sim/payment_intents/{id}/settle", settle_payment),
    ("POST", "/_sim/payment_intents/{id}/dispute", open_dispute),
    ("POST", "/_sim/refunds/{id}/settle", settle_refund),
)


def sim_routes() -> list[Route]:
    return [Route(path, _json_endpoint(handler), methods=[method]) for method, path, handler in _ROUTES]
