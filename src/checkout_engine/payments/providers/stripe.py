"""Stripe, through the official ``stripe`` library: the same code path against Stripe itself or the simulator
(``CHECKOUT_STRIPE_API_BASE``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import requests
import requests.adapters
import requests.utils
import stripe

from checkout_engine.observability.metrics import PROVIDER_RETRIES
from checkout_engine.payments.model import (
    EventPage,
    IntentRequest,
    PaymentStatus,
    ProviderEvent,
    ProviderKeyInUse,
    ProviderPayment,
    ProviderRefund,
    ProviderUnavailable,
    RefundStatus,
)
from checkout_engine.payments.providers.stripe_amounts import minimum_charge
from checkout_engine.payments.providers.stripe_errors import translated_errors
from checkout_engine.webhooks.signature import verify_signature

T = TypeVar("T")
# The API version every request is made at and every object is read in: the one the pinned ``stripe`` library
# (constraints.txt) is generated for. Moving it is a deliberate change, tested against the simulator.
API_VERSION = "2026-10-28.endive"

REQUEST_TIMEOUT_SECONDS = 10.0  # long enough for 3-D Secure lookups, short enough to free a worker
POOL_CONNECTIONS = 64  # about the API's thread pool: a busier pool would open and drop connections
# Intents are looked up among those created shortly before the attempt began: clocks may disagree a little.
LOOKUP_CLOCK_SKEW = timedelta(minutes=5)
# Another request with the same key is still running at Stripe: its answer will be replayed to us after it ends.
KEY_IN_USE_PAUSES_SECONDS = (0.5, 1.0, 2.0)

STATUS = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}
REFUND_STATUS = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}


def to_payment(data: dict[str, Any]) -> ProviderPayment:
    raw = str(data["status"])
    error = data.get("last_payment_error") or None
    status = STATUS.get(raw, PaymentStatus.PENDING)
    if raw == "requires_payment_method" and error:
        status = PaymentStatus.FAILED  # declined: Stripe puts the intent back to wait for another method
    charge = data.get("latest_charge")
    return ProviderPayment(
        id=data["id"],
        status=status,
        raw_status=raw,
        amount=int(data["amount"]),
        amount_received=int(data.get("amount_received") or 0),
        amount_capturable=int(data.get("amount_capturable") or 0),
        currency=str(data["currency"]).upper(),
        client_secret=data.get("client_secret"),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        latest_charge=charge["id"] if isinstance(charge, dict) else charge,
        error_code=(error or {}).get("decline_code") or (error or {}).get("code"),
        created=int(data.get("created") or 0),
    )


def to_refund(data: dict[str, Any]) -> ProviderRefund:
    raw = str(data["status"])
    return ProviderRefund(
        id=data["id"],
        payment_id=str(data.get("payment_intent")),
        amount=int(data["amount"]),
        currency=str(data["currency"]).upper(),
        status=REFUND_STATUS.get(raw, RefundStatus.PENDING),
        raw_status=raw,
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )


def to_event(data: dict[str, Any]) -> ProviderEvent:
    obj = (data.get("data") or {}).get("object") or {}
    return ProviderEvent(
        id=data["id"], type=data["type"], created=int(data["created"]), object_id=obj.get("id"), data=data
    )


def _session_for(api_base: str) -> requests.Session:
    """One keep-alive pool shared by the process's threads. The environment's proxy settings are read once here,
    not on every call (requests would otherwise rescan the environment per request)."""
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(api_base))
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=POOL_CONNECTIONS)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        api_base: str,
        webhook_secrets: list[str],
        webhook_tolerance_seconds: int,
        timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
        payment_methods: list[str] | None = None,
        return_url: str | None = None,
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=API_VERSION,
            base_addresses={"api": api_base},
            max_network_retries=0,  # retries are ours: after a timeout we look before we leap
            http_client=stripe.RequestsClient(timeout=timeout_seconds, session=_session_for(api_base)),
        )
        self._webhook_secrets = webhook_secrets
        self._tolerance = webhook_tolerance_seconds
        self._payment_methods = payment_methods or ["card"]
        self._return_url = return_url

    def minimum_charge(self, currency: str) -> int:
        return minimum_charge(currency)

    def _payment_method_settings(self) -> dict[str, Any]:
        """Said on every intent, never left to the account's defaults: without it Stripe turns on automatic
        payment methods with redirects, and then refuses a confirmation that has no return URL. (At this API version
        ``payment_method_types`` is no longer writable: ``allowed_payment_method_types`` limits the methods.)"""
        if self._payment_methods != ["automatic"]:
            return {"allowed_payment_method_types": self._payment_methods}
        redirects = "always" if self._return_url else "never"
        return {"automatic_payment_methods": {"enabled": True, "allow_redirects": redirects}}

    def _send(self, operation: str, call: Callable[[], T]) -> T:
        """One call under its idempotency key; while another request holds the key at Stripe, ask again after a
        pause (its answer is then replayed to us), and after the last pause give up as unavailable."""
        for pause in KEY_IN_USE_PAUSES_SECONDS:
            try:
                with translated_errors(operation):
                    return call()
            except ProviderKeyInUse:
                time.sleep(pause)
        with translated_errors(operation):
            return call()

    def create_intent(self, request: IntentRequest) -> ProviderPayment:
        params: Any = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "metadata": {**request.metadata, "payment_attempt_id": request.reference},
            "capture_method": "manual" if request.manual_capture else "automatic",
            **self._payment_method_settings(),
        }
        started = request.not_before or datetime.now(UTC)
        try:
            intent = self._send(
                "create_intent", lambda: self._write("/v1/payment_intents", request.idempotency_key, **params)
            )
            return to_payment(intent)
        except ProviderUnavailable:
            PROVIDER_RETRIES.inc()
            found = self.find_intent(request.reference, created_after=started)
            if found is not None:
                return found
            raise

    def find_intent(self, reference: str, *, created_after: datetime) -> ProviderPayment | None:
        since = int((created_after - LOOKUP_CLOCK_SKEW).timestamp())
        with translated_errors("find_intent"):
            for payment in self._intents({"gte": since}):
                if payment.metadata.get("payment_attempt_id") == reference:
                    return payment
        return None

    def _read(self, path: str, **params: Any) -> Any:
        """A GET answered as plain data: the library's objects cost more to build than the call itself."""
        return self._client.raw_request("get", path, **params).data

    def _write(self, path: str, idempotency_key: str, **params: Any) -> Any:
        """A POST under its idempotency key, answered as plain data (as ``_read``)."""
        return self._client.raw_request("post", path, idempotency_key=idempotency_key, **params).data

    def retrieve(self, payment_id: str) -> ProviderPayment:
        with translated_errors("retrieve"):
            return to_payment(self._read(f"/v1/payment_intents/{quote(payment_id, safe='')}"))

    def confirm(self, payment_id: str, *, payment_method: str) -> ProviderPayment:
        params: Any = {"payment_method": payment_method}
        if self._return_url:  # a redirect (3-D Secure, a bank) comes back here
            params["return_url"] = self._return_url
        with translated_errors("confirm"):
            intent = self._client.v1.payment_intents.confirm(payment_id, params=params)
            return to_payment(intent.to_dict())

    def capture(self, payment_id: str, *, amount: int | None, idempotency_key: str) -> ProviderPayment:
        params: Any = {} if amount is None else {"amount_to_capture": amount}
        path = f"/v1/payment_intents/{quote(payment_id, safe='')}/capture"
        return to_payment(self._send("capture", lambda: self._write(path, idempotency_key, **params)))

    def cancel(self, payment_id: str, *, idempotency_key: str) -> ProviderPayment:
        path = f"/v1/payment_intents/{quote(payment_id, safe='')}/cancel"
        return to_payment(self._send("cancel", lambda: self._write(path, idempotency_key)))

    def refund(self, payment_id: str, *, amount: int, idempotency_key: str, metadata: dict[str, str]) -> ProviderRefund:
        params: Any = {"payment_intent": payment_id, "amount": amount, "metadata": metadata}
        return to_refund(self._send("refund", lambda: self._write("/v1/refunds", idempotency_key, **params)))

    def retrieve_refund(self, refund_id: str) -> ProviderRefund:
        with translated_errors("retrieve_refund"):
            return to_refund(self._client.v1.refunds.retrieve(refund_id).to_dict())

    def list_refunds(self, payment_id: str) -> list[ProviderRefund]:
        with translated_errors("list_refunds"):
            page = self._client.v1.refunds.list(params={"payment_intent": payment_id, "limit": 100})
            return [to_refund(refund.to_dict()) for refund in page.auto_paging_iter()]

    def list_events(self, *, created_after: int, starting_after: str | None = None, limit: int = 100) -> EventPage:
        params: Any = {"created": {"gte": created_after}, "limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        with translated_errors("list_events"):
            page = self._client.v1.events.list(params=params)
            return EventPage(tuple(to_event(event.to_dict()) for event in page.data), bool(page.has_more))

    def retrieve_event(self, event_id: str) -> ProviderEvent:
        with translated_errors("retrieve_event"):
            return to_event(self._client.v1.events.retrieve(event_id).to_dict())

    def iter_payments(self, *, created_after: int, created_until: int | None = None) -> Iterator[ProviderPayment]:
        created = {"gte": created_after} if created_until is None else {"gte": created_after, "lte": created_until}
        with translated_errors("list_payments"):
            yield from self._intents(created)

    def _intents(self, created: dict[str, int]) -> Iterator[ProviderPayment]:
        """Intents by creation time, newest first, a page of 100 at a time."""
        params: dict[str, Any] = {"created": created, "limit": 100}
        while True:
            page = self._read("/v1/payment_intents", **params)
            for intent in page["data"]:
                yield to_payment(intent)
            if not page["has_more"] or not page["data"]:
                return
            params["starting_after"] = page["data"][-1]["id"]

    def iter_refunds(self, *, created_after: int) -> Iterator[ProviderRefund]:
        params: Any = {"created": {"gte": created_after}, "limit": 100}
        with translated_errors("list_refunds"):
            for refund in self._client.v1.refunds.list(params=params).auto_paging_iter():
                yield to_refund(refund.to_dict())

    def iter_events(self, *, created_after: int) -> Iterator[ProviderEvent]:
        params: Any = {"created": {"gte": created_after}, "limit": 100}
        with translated_errors("list_events"):
            for event in self._client.v1.events.list(params=params).auto_paging_iter():
                yield to_event(event.to_dict())

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        """Our own verification on the raw bytes (several secrets for rotation), then the parsed event."""
        verify_signature(payload, signature_header, secrets=self._webhook_secrets, tolerance_seconds=self._tolerance)
        return to_event(json.loads(payload))
