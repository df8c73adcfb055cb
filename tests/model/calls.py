"""Idempotent calls as a client makes them, each one kept (key, body, answer) for the replay invariant: one at a
time through the in-process client, several at once over real HTTP from threads, or by calling the service
directly (with checkout hooks that let something happen, or kill the process, at a recovery point)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from checkout_engine.errors import CheckoutError, error_response
from checkout_engine.idempotency.model import Outcome
from model.invariants import Call
from model.world import World
from support.crash import ProcessDied


def canonical(body: dict[str, Any] | None) -> str:
    return json.dumps(body, sort_keys=True)


class Calls:
    def __init__(self, world: World) -> None:
        self.world = world
        self.made: list[Call] = []

    def _keep(self, path: str, key: str, body: dict[str, Any] | None, response: httpx.Response) -> httpx.Response:
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        self.made.append(Call(path, key, canonical(body), response.status_code, response.text, replayed))
        return response

    def post(
        self, path: str, key: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        response = self.world.client.post(path, json=body, headers={**(headers or {}), "Idempotency-Key": key})
        return self._keep(path, key, body, response)

    def post_at_once(
        self, requests: Sequence[tuple[str, str, dict[str, Any] | None]], headers: dict[str, str] | None = None
    ) -> list[httpx.Response]:
        """Every (path, key, body) sent at the same moment, each from its own thread, over real HTTP."""

        def send(request: tuple[str, str, dict[str, Any] | None]) -> httpx.Response:
            path, key, body = request
            return self.world.http.post(path, json=body, headers={**(headers or {}), "Idempotency-Key": key})

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            responses = list(pool.map(send, requests))
        return [self._keep(p, k, b, r) for (p, k, b), r in zip(requests, responses, strict=True)]

    def in_process(
        self, path: str, key: str, body: dict[str, Any] | None, run: Callable[[], Outcome]
    ) -> Outcome | None:
        """A request carried out by calling the service directly (``run``), kept as the API would have answered
        it: its outcome, the error it raised, or no answer at all if its process died (None unless it answered
        with an outcome)."""
        try:
            outcome = run()
        except ProcessDied:
            self.made.append(Call(path, key, canonical(body), None))
            return None
        except CheckoutError as error:  # not stored (a key in use, a provider down): the API maps it as is
            status, answer = error_response(error)
            self.made.append(Call(path, key, canonical(body), status, json.dumps(answer)))
            return None
        self.made.append(Call(path, key, canonical(body), outcome.status, outcome.raw, outcome.replayed))
        return outcome
