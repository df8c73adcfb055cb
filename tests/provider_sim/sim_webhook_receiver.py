"""A tiny local webhook endpoint that records what the simulator delivers and can be told to fail."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    body: bytes
    headers: dict[str, str]
    answered: int
    received_at: float

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def signature(self) -> str:
        return self.headers.get("Stripe-Signature", "")


class WebhookReceiver:
    def __init__(self) -> None:
        self._requests: list[ReceivedRequest] = []
        self._failures_left = 0
        self._arrived = 0  # requests whose body was read, answered or still held at the gate
        self._gate = threading.Event()
        self._gate.set()
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhooks/stripe"

    def fail_next(self, count: int) -> None:
        """Answers the next `count` deliveries with 500."""
        with self._changed:
            self._failures_left = count

    def hold_answers(self) -> None:
        """Deliveries are read but not answered until ``release_answers()``."""
        self._gate.clear()

    def release_answers(self) -> None:
        self._gate.set()

    def wait_for_arrivals(self, count: int, timeout: float = 5.0) -> int:
        """Blocks until at least `count` requests arrived, answered or held; fails on timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._arrived >= count, timeout):
                raise AssertionError(f"expected {count} webhook requests to arrive, got {self._arrived}")
            return self._arrived

    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def accepted_events(self) -> list[dict[str, Any]]:
        return [request.event for request in self.requests() if request.answered == 200]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Blocks until at least `count` requests arrived (all of them, answered or not); fails on timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(f"expected {count} webhook requests, got {len(self._requests)}")
            return list(self._requests)

    def close(self) -> None:
        self._gate.set()
        self._server.shutdown()
        self._server.server_close()

    def _arrive(self) -> None:
        with self._changed:
            self._arrived += 1
            self._changed.notify_all()

    def _record(self, body: bytes, headers: dict[str, str]) -> int:
        with self._changed:
            answered = 200
            if self._failures_left > 0:
                self._failures_left -= 1
                answered = 500
            self._requests.append(ReceivedRequest(body, headers, answered, time.monotonic()))
            self._changed.notify_all()
            return answered

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver._arrive()
                receiver._gate.wait()
                status = receiver._record(body, dict(self.headers.items()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler
