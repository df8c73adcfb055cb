"""The path of every `/v1` call: faults, authentication, parameters, idempotency, operation, answer."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from provider_sim.auth import api_key_from, authorize, key_kind
from provider_sim.errors import StripeApiError, api_error
from provider_sim.faults import Fault, FaultMode
from provider_sim.forms import decode_pairs, parse_pairs
from provider_sim.idempotency import StoredResponse, check_key, fingerprint
from provider_sim.ids import new_id
from provider_sim.objects import JsonObject, RequestInfo
from provider_sim.params import Params
from provider_sim.simulator import Simulator
from provider_sim.state import SimState

logger = logging.getLogger("provider_sim")


@dataclass(frozen=True)
class ApiCall:
    params: Params
    path_params: Mapping[str, str]
    request: RequestInfo
    api_key: str
    # Where the simulator is reachable (scheme, host, port), for URLs it hands out such as a 3-D Secure page.
    base_url: str = ""


Operation = Callable[[Simulator, ApiCall], JsonObject]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    operation: Operation
    # Stripe lets a browser confirm a PaymentIntent with the publishable key and the client secret.
    publishable_allowed: bool = False


def json_response(
    status: int, body: bytes, request_id: str, extra: Mapping[str, str] | None = None, api_version: str | None = None
) -> Response:
    headers = {"Request-Id": request_id, **(extra or {})}
    if api_version is not None:
        headers["Stripe-Version"] = api_version  # the version the answer is rendered in, as Stripe says it
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def encode(body: JsonObject) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def handle(state: SimState, endpoint: Endpoint, request: Request) -> Response:
    request_id = new_id("req", 14)
    encoded = (await request.body()).decode(errors="replace") if request.method == "POST" else request.url.query
    # Nothing is awaited from taking a fault until the idempotency key is reserved, so once a fault shows
    # as consumed, the key of the call that consumed it is already in use.
    fault = state.faults.take(request.method, request.url.path)
    version = state.config.api_version
    if fault is not None and fault.mode is FaultMode.ERROR_500:
        return json_response(500, encode(api_error().body(request_id)), request_id, api_version=version)
    try:
        response = await _authorized_call(state, endpoint, request, encoded, request_id, fault)
    except StripeApiError as error:
        response = json_response(error.status, encode(error.body(request_id)), request_id, api_version=version)
    if fault is not None and fault.mode is FaultMode.TIMEOUT_AFTER_COMMIT:
        await hold_until_client_leaves(request, state.release_holds, state.config.hold_cap_seconds)
    return response


async def _authorized_call(
    state: SimState, endpoint: Endpoint, request: Request, encoded: str, request_id: str, fault: Fault | None
) -> Response:
    api_key = api_key_from(request.headers.get("authorization"))
    key_kind(api_key)  # an unknown key is refused before its parameters are looked at
    pairs = parse_pairs(encoded)
    params = Params(decode_pairs(pairs))
    intent_id = request.path_params.get("id")
    authorize(
        api_key,
        publishable_allowed=endpoint.publishable_allowed,
        given_secret=params.string("client_secret"),
        expected_secret=state.simulator.client_secret(intent_id) if intent_id else None,
    )
    key = request.headers.get("idempotency-key") if request.method == "POST" else None
    base_url = str(request.base_url).rstrip("/")
    call = ApiCall(params, request.path_params, RequestInfo(request_id, key), api_key, base_url)
    if key is None:
        return await _run(state, endpoint, call, fault)
    check_key(key)
    stored = state.idempotency.begin(api_key, key, fingerprint(request.method, request.url.path, pairs))
    if stored is not None:
        replay_headers = {"Idempotent-Replayed": "true", "Original-Request": stored.request_id}
        return json_response(stored.status, stored.body, request_id, replay_headers, state.config.api_version)
    try:
        response = await _run(state, endpoint, call, fault, store_under=key)
    finally:
        state.idempotency.release(api_key, key)  # no-op once the response is stored
    return response


async def _run(
    state: SimState, endpoint: Endpoint, call: ApiCall, fault: Fault | None, store_under: str | None = None
) -> Response:
    if fault is not None and fault.mode is FaultMode.LATENCY:
        await asyncio.sleep(fault.latency_ms / 1000)
    request_id = call.request.id or ""
    try:
        status, body, keep = 200, encode(endpoint.operation(state.simulator, call)), True
    except StripeApiError as error:
        # Stored only once the operation began executing against the account (see StripeApiError.replayable).
        status, body, keep = error.status, encode(error.body(request_id)), error.replayable
    except Exception:
        logger.exception("unexpected failure in %s %s", endpoint.method, endpoint.path)
        status, body, keep = 500, encode(api_error().body(request_id)), False
    if store_under is not None and keep:
        state.idempotency.complete(call.api_key, store_under, StoredResponse(status, body, request_id))
    return json_response(status, body, request_id, api_version=state.config.api_version)


async def hold_until_client_leaves(request: Request, release: asyncio.Event, cap_seconds: float) -> None:
    """Keeps the answer back until the client disconnects, the simulator resets, or the cap passes."""

    async def client_left() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    waiters = [asyncio.ensure_future(client_left()), asyncio.ensure_future(release.wait())]
    try:
        await asyncio.wait(waiters, timeout=cap_seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
