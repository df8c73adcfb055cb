"""The customer's side of the wire: a storefront client that fails over between the two API processes and
retries idempotent requests with the same key, and a browser that confirms payments at the provider."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from checkout_engine.chaos.answers import Answer, AnswerBook
from checkout_engine.chaos.config import PUBLISHABLE_KEY

REQUEST_TIMEOUT_SECONDS = 15.0  # above the API's worst case: a provider timeout, then a look-up
BROWSER_TIMEOUT_SECONDS = 4.0
SEND_ATTEMPTS = 8  # rounds over both APIs before a customer gives up on a call
RETRY_PAUSE_SECONDS = 0.3
CONFIRM_ATTEMPTS = 3


class GaveUp(Exception):
    """The customer stopped trying: no API (or the provider) answered in time."""


@dataclass(frozen=True, slots=True)
class IdempotentCall:
    """A POST that creates something; ``scope`` is what the server scopes the key to (cart, order, API key)."""

    path: str
    scope: str
    key: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class Storefront:
    def __init__(self, api_urls: list[str], *, prefer: int, book: AnswerBook) -> None:
        self._clients = [httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_SECONDS) for url in api_urls]
        self._current = prefer % len(self._clients)
        self.book = book

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def _try(self, method: str, path: str, **options: Any) -> httpx.Response | None:
        """One request; None when the API did not answer (killed, or the client's timeout), after which the
        next request goes to the other API, as a load balancer would send it."""
        try:
            response = self._clients[self._current].request(method, path, **options)
        except httpx.TransportError:
            self._current = (self._current + 1) % len(self._clients)
            return None
        if response.status_code == 500:
            self.book.note_server_error(f"{method} {path}: {response.text[:300]}")
        return response

    def send(self, method: str, path: str, **options: Any) -> httpx.Response:
        for _ in range(SEND_ATTEMPTS):
            response = self._try(method, path, **options)
            if response is not None and response.status_code not in (502, 503, 504):
                return response
            time.sleep(RETRY_PAUSE_SECONDS)
        raise GaveUp(f"{method} {path}: no answer")

    def json(self, method: str, path: str, **options: Any) -> Any:
        response = self.send(method, path, **options)
        response.raise_for_status()
        return response.json()

    def idempotent(self, call: IdempotentCall, *, deadline: float, first_timeout: float | None = None) -> Answer:
        """POSTs with the same key and body until the answer is final (or ``deadline``, a monotonic time), as a
        client that lost an answer retries. Every answer goes into the book. ``first_timeout`` cuts the first try
        short, to lose its answer on purpose."""
        headers = {"Idempotency-Key": call.key, **call.headers}
        timeout = first_timeout or REQUEST_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            response = self._try("POST", call.path, json=call.body, headers=headers, timeout=timeout)
            timeout = REQUEST_TIMEOUT_SECONDS
            if response is not None:
                replayed = response.headers.get("Idempotent-Replayed") == "true"
                answer = Answer(response.status_code, _body(response), replayed)
                self.book.record(call.scope, call.key, answer)
                if answer.final:
                    return answer
            time.sleep(RETRY_PAUSE_SECONDS)
        raise GaveUp(f"POST {call.path}: no final answer for key {call.key}")


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class Browser:
    """Confirms a PaymentIntent with the publishable key and client secret, as Stripe.js does in a browser."""

    def __init__(self, sim_url: str) -> None:
        auth = {"Authorization": f"Bearer {PUBLISHABLE_KEY}"}
        self._http = httpx.Client(base_url=sim_url, headers=auth, timeout=BROWSER_TIMEOUT_SECONDS)

    def close(self) -> None:
        self._http.close()

    def confirm(self, intent_id: str, *, client_secret: str, payment_method: str) -> str | None:
        """The intent's status after confirming (``declined`` for a card error), or None when no answer came
        back; a 500 or a lost answer is tried again, as a customer clicks "Pay" again."""
        form = {"payment_method": payment_method, "client_secret": client_secret}
        for _ in range(CONFIRM_ATTEMPTS):
            try:
                response = self._http.post(f"/v1/payment_intents/{intent_id}/confirm", data=form)
            except httpx.TransportError:
                continue
            if response.status_code >= 500:
                continue
            body = response.json()
            if response.status_code == 200:
                return str(body["status"])
            return "declined" if response.status_code == 402 else str(body["error"].get("code"))
        return None
