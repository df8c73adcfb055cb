"""Talking to the provider simulator: its ``/_sim`` controls, and its own records (Stripe's list API with the
secret key), which are the provider's side of the books."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx

from checkout_engine.chaos.config import SECRET_KEY

CONTROL_TIMEOUT_SECONDS = 30.0
PAGE_SIZE = 100
# Quick redelivery, so a webhook aimed at a killed API arrives soon after it is back.
WEBHOOK_RETRY = {"backoff_base_ms": 100, "backoff_max_ms": 2000, "timeout_ms": 5000}
CALM_WEBHOOKS = {"duplicate_rate": 0.0, "drop_rate": 0.0, "delay_ms": 0, "reorder_window_ms": 0, "paused": False}


class ClockBudget:
    """How often a run may still move the simulator's clock forward. A jump acts on the whole account (every
    idempotency key older than 24 h is forgotten, whatever was due settles), so a run makes few; the customer
    threads share one budget."""

    def __init__(self, jumps: int) -> None:
        self._left = jumps
        self._lock = threading.Lock()

    def take(self) -> bool:
        """True, once per jump the budget still holds: the caller makes that jump."""
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


class SimControl:
    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=CONTROL_TIMEOUT_SECONDS)

    def close(self) -> None:
        self._http.close()

    def _sim(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, f"/_sim/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def add_fault(self, *, method: str, path: str, mode: str, count: int, latency_ms: int = 0) -> None:
        self._sim(
            "POST", "faults", {"method": method, "path": path, "mode": mode, "count": count, "latency_ms": latency_ms}
        )

    def clear_faults(self) -> None:
        self._sim("DELETE", "faults")

    def configure_webhooks(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._sim("PUT", "webhooks", settings)
        return result

    def flush_webhooks(self) -> dict[str, Any]:
        result: dict[str, Any] = self._sim("POST", "webhooks/flush")
        return result

    def pending_webhooks(self) -> int:
        return int(self._sim("GET", "webhooks")["pending"])

    def _steer(self, path: str, body: dict[str, Any]) -> bool:
        """A customer-side action on one intent; False when the intent is no longer in a state that takes it (the
        race with its own settlement, or with a lost confirmation, was lost)."""
        response = self._http.post(f"/_sim/{path}", json=body)
        if response.status_code == 400:
            return False
        response.raise_for_status()
        return True

    def authenticate(self, intent_id: str, outcome: str) -> bool:
        return self._steer(f"payment_intents/{intent_id}/authenticate", {"outcome": outcome})

    def settle(self, intent_id: str) -> bool:
        return self._steer(f"payment_intents/{intent_id}/settle", {})

    def settle_refund(self, refund_id: str) -> bool:
        """Pays out a pending refund now, as its card decides (the bank's days have passed)."""
        return self._steer(f"refunds/{refund_id}/settle", {})

    def advance_clock(self, seconds: int) -> dict[str, Any]:
        """Moves the account's clock forward; the answer says what fell due on the way."""
        result: dict[str, Any] = self._sim("POST", "clock", {"advance_seconds": seconds})
        return result

    def settle_refunds_held_by(self, payment_method: str) -> int:
        """Pays out every refund still pending on a payment made with ``payment_method``; how many."""
        methods = {intent["id"]: intent.get("payment_method") for intent in self.payment_intents()}
        held = [
            r for r in self.refunds() if r["status"] == "pending" and methods.get(r["payment_intent"]) == payment_method
        ]
        return sum(self.settle_refund(refund["id"]) for refund in held)

    def _list(self, resource: str) -> Iterator[dict[str, Any]]:
        """Every object of a Stripe list, page by page."""
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        while True:
            response = self._http.get(
                f"/v1/{resource}", params=params, headers={"Authorization": f"Bearer {SECRET_KEY}"}
            )
            response.raise_for_status()
            page = response.json()
            yield from page["data"]
            if not page["has_more"] or not page["data"]:
                return
            params["starting_after"] = page["data"][-1]["id"]

    def payment_intents(self) -> list[dict[str, Any]]:
        return list(self._list("payment_intents"))

    def refunds(self) -> list[dict[str, Any]]:
        return list(self._list("refunds"))
