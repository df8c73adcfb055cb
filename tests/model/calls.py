"""Idempotent calls as a client makes them, each one kept (key, body, answer) for the replay invariant: one at a
time through the in-process client, or several at once over real HTTP from threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from checkout_engine.idempotency.model import Outcome
from model.invariants import Call
from model.world import World


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
        self, requests: list[tuple[str, str, dict[str, Any] | None]], headers: dict[str, str] | None = None
    ) -> list[httpx.Response]:
        """Every (path, key, body) sent at the same moment, each from its own thread, over real HTTP."""

        def send(request: tuple[str, str, dict[str, Any] | None]) -> httpx.Response:
            path, key, body = request
            return self.world.http.post(path, json=body, headers={**(headers or {}), "Idempotency-Key": key})

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            responses = list(pool.map(send, requests))
        return [self._keep(p, k, b, r) for (p, k, b), r in zip(requests, responses, strict=True)]

    def died(self, path: str, key: str, body: dict[str, Any] | None) -> None:
        """A request whose process died before it answered."""
        self.made.append(Call(path, key, canonical(body), None))

    def answered(self, path: str, key: str, body: dict[str, Any] | None, outcome: Outcome) -> None:
        """A request carried out by calling the service directly."""
        self.made.append(Call(path, key, canonical(body), outcome.status, outcome.raw, outcome.replayed))
