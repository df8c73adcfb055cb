"""A record of every `/v1` exchange, one JSON line each, for checking the simulator against Stripe's published
API: what the client sent (method, path, query, form body, API version) and what the simulator answered (status,
body). Off unless a directory is configured (`PROVIDER_SIM_JOURNAL`); each process writes its own file there."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Journal:
    """Pure ASGI middleware: it sees the raw request and response bodies without changing either."""

    def __init__(self, app: ASGIApp, directory: str) -> None:
        self.app = app
        Path(directory).mkdir(parents=True, exist_ok=True)
        self._path = Path(directory) / f"provider_sim-{os.getpid()}.jsonl"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        request = bytearray()
        response = bytearray()
        status = 0

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                response.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    # Written before the last byte goes out: a client that has its answer finds it journaled.
                    self._write(scope, bytes(request), status, bytes(response))
            await send(message)

        await self.app(scope, receiving, sending)

    def _write(self, scope: Scope, request: bytes, status: int, response: bytes) -> None:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        try:
            body: Any = json.loads(response) if response else None
        except ValueError:
            body = response.decode("utf-8", "replace")
        entry = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "form": request.decode("utf-8", "replace"),
            "stripe_version": headers.get("stripe-version"),
            "idempotency_key": headers.get("idempotency-key"),
            "status": status,
            "body": body,
        }
        with self._path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, separators=(",", ":")) + "\n")
