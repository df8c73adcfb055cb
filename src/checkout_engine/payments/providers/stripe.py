"""Stripe, through the official ``stripe`` library: the same code path against Stripe itself or the simulator
(``CHECKOUT_STRIPE_API_BASE``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import requests
import requests.adapters
import requests.utils
import stripe

from checkout_engine.observability.metrics import PROVIDER_ERRORS, PROVIDER_RETRIES, PROVIDER_SECONDS
from checkout_engine.payments.model import (
    EventPage,
    IntentRequest,
    PaymentDeclined,
    PaymentStatus,
    ProviderError,
    ProviderEvent,
    ProviderMisconfigured,
    ProviderPayment,
    ProviderRefund,
    ProviderRejected,
    ProviderUnavailable,
    RefundStatus,
)
from checkout_engine.webhooks.signature import verify_signature

REQUEST_TIMEOUT_SECONDS = 10.0  # long enough for 3-D Secure lookups, short enough to free a worker
POOL_CONNECTIONS = 64  # about the API's thread pool: a busier pool would open and drop connections
# Intents are looked up among those created shortly before the attempt began: clocks may disagree a little.
LOOKUP_CLOCK_SKEW = timedelta(minutes=5)

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


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """Stripe's exceptions become ours, so nothing above this module knows which provider it talks to; every call
    is timed and every failure counted by its kind."""
    started = time.perf_counter()
    try:
        yield
    except stripe.StripeError as error:
        PROVIDER_ERRORS.labels(operation=operation, kind=_error_kind(error)).inc()
        raise _translated(error) from error
    finally:
        PROVIDER_SECONDS.labels(operation=operation).observe(time.perf_counter() - started)


def _error_kind(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.APIConnectionError):
        return "timeout_or_connection"
    if isinstance(error, stripe.CardError):
        return "declined"
    return type(error).__name__


def _translated(error: stripe.StripeError) -> ProviderError:
    if isinstance(error, stripe.CardError):
        body: dict[str, Any] = cast(dict[str, Any], error.json_body or {}).get("error", {})
        intent = body.get("payment_intent") or {}
        return PaymentDeclined(
            error.user_message or "The card was declined.",
            decline_code=body.get("decline_code") or error.code,
            payment_id=intent.get("id"),
        )
    if isinstance(error, stripe.APIConnectionError | stripe.APIError | stripe.RateLimitError):
        return ProviderUnavailable(
            f"The payment provider did not answer: {type(error).__name__}.",
            details={"provider_error": type(error).__name__},
        )
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return ProviderMisconfigured("The payment provider refused our credentials.")
    if isinstance(error, stripe.IdempotencyError):
        # Our keys are derived from our records, so a clash means another execution of the same operation is in
        # flight at the provider: try again later, when it has a stored answer to replay.
        return ProviderUnavailable(str(error.user_message or error), code="provider_idempotency_conflict")
    if isinstance(error, stripe.InvalidRequestError):
        return ProviderRejected(
            str(error.user_message or error), details={"provider_code": error.code, "param": error.param}
        )
    return ProviderError(f"The payment provider failed: {type(error).__name__}.")


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
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            max_network_retries=0,  # retries are ours: after a timeout we look before we leap
            http_client=stripe.RequestsClient(timeout=timeout_seconds, session=_session_for(api_base)),
        )
        self._webhook_secrets = webhook_secrets
        self._tolerance = webhook_tolerance_seconds

    def create_intent(self, request: IntentRequest) -> ProviderPayment:
        params: Any = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "metadata": {**request.metadata, "payment_attempt_id": request.reference},
            "capture_method": "manual" if request.manual_capture else "automatic",
        }
        started = request.not_before or datetime.now(UTC)
        try:
            with translated_errors("create_intent"):
                intent = self._client.v1.payment_intents.create(
                    params=params,
                    options={"idempotency_key": request.idempotency_key},
                )
            return to_payment(intent.to_dict())
        except ProviderUnavailable:
            PROVIDER_RETRIES.inc()
            found = self.find_intent(request.reference, created_after=started)
            if found is not None:
                return found
            raise

    def find_intent(self, reference: str, *, created_after: datetime) -> ProviderPayment | None:
        since = int((created_after - LOOKUP_CLOCK_SKEW).timestamp())
        with translated_errors("find_intent"):
            page = self._client.v1.payment_intents.list(params={"created": {"gte": since}, "limit": 100})
            for intent in page.auto_paging_iter():
                data = intent.to_dict()
                if (data.get("metadata") or {}).get("payment_attempt_id") == reference:
                    return to_payment(data)
        return None

    def retrieve(self, payment_id: str) -> ProviderPayment:
        with translated_errors("retrieve"):
            return to_payment(self._client.v1.payment_intents.retrieve(payment_id).to_dict())

    def confirm(self, payment_id: str, *, payment_method: str) -> ProviderPayment:
        with translated_errors("confirm"):
            intent = self._client.v1.payment_intents.confirm(payment_id, params={"payment_method": payment_method})
            return to_payment(intent.to_dict())

    def capture(self, payment_id: str, *, amount: int | None, idempotency_key: str) -> ProviderPayment:
        params: Any = {} if amount is None else {"amount_to_capture": amount}
        with translated_errors("capture"):
            intent = self._client.v1.payment_intents.capture(
                payment_id,
                params=params,
                options={"idempotency_key": idempotency_key},
            )
            return to_payment(intent.to_dict())

    def cancel(self, payment_id: str, *, idempotency_key: str) -> ProviderPayment:
        with translated_errors("cancel"):
            intent = self._client.v1.payment_intents.cancel(payment_id, options={"idempotency_key": idempotency_key})
            return to_payment(intent.to_dict())

    def refund(self, payment_id: str, *, amount: int, idempotency_key: str, metadata: dict[str, str]) -> ProviderRefund:
        params: Any = {"payment_intent": payment_id, "amount": amount, "metadata": metadata}
        with translated_errors("refund"):
            refund = self._client.v1.refunds.create(
                params=params,
                options={"idempotency_key": idempotency_key},
            )
            return to_refund(refund.to_dict())

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

    def iter_payments(self, *, created_after: int) -> Iterator[ProviderPayment]:
        params: Any = {"created": {"gte": created_after}, "limit": 100}
        with translated_errors("list_payments"):
            for intent in self._client.v1.payment_intents.list(params=params).auto_paging_iter():
                yield to_payment(intent.to_dict())

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
