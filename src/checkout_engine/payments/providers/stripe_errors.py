"""Stripe's exceptions in our terms: what went wrong, whether trying again may help, and whether the answer was one
Stripe stored under the key and gave again. Every call is timed and every failure counted by its kind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import stripe
from opentelemetry.trace import SpanKind

from checkout_engine.observability import tracing
from checkout_engine.observability.metrics import PROVIDER_ERRORS, PROVIDER_SECONDS
from checkout_engine.payments.model import (
    PaymentDeclined,
    ProviderError,
    ProviderKeyInUse,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderUnavailable,
)


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """Stripe's exceptions become ours, so nothing above this module knows which provider it talks to; every call
    is timed and every failure counted by its kind."""
    started = time.perf_counter()
    with tracing.span(f"provider {operation}", kind=SpanKind.CLIENT, **{"provider.name": "stripe"}) as current:
        try:
            yield
        except stripe.StripeError as error:
            kind = _error_kind(error)
            PROVIDER_ERRORS.labels(operation=operation, kind=kind).inc()
            if current is not None:
                current.set_attribute("error.type", kind)
            raise _translated(error) from error
        finally:
            PROVIDER_SECONDS.labels(operation=operation).observe(time.perf_counter() - started)


def _error_kind(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.APIConnectionError):
        return "timeout_or_connection"
    if isinstance(error, stripe.CardError):
        return "declined"
    if isinstance(error, stripe.IdempotencyError):
        return "idempotency_key_mismatch"  # a defect of ours: alerted on
    if _key_in_use(error):
        return "idempotency_key_in_use"
    if isinstance(error, stripe.InvalidRequestError) and _replayed(error):
        return "refusal_replayed"
    return type(error).__name__


def _error_code(error: stripe.StripeError) -> str | None:
    body = cast(dict[str, Any], error.json_body or {}).get("error") or {}
    return body.get("code") or error.code


def _key_in_use(error: stripe.StripeError) -> bool:
    return error.http_status == 409 and _error_code(error) == "idempotency_key_in_use"


def _replayed(error: stripe.StripeError) -> bool:
    """Stripe marks an answer it stored under the key and gives again, refusals included."""
    return any(
        name.lower() == "idempotent-replayed" and value == "true" for name, value in (error.headers or {}).items()
    )


def _translated(error: stripe.StripeError) -> ProviderError:
    if isinstance(error, stripe.CardError):
        body: dict[str, Any] = cast(dict[str, Any], error.json_body or {}).get("error", {})
        intent = body.get("payment_intent") or {}
        return PaymentDeclined(
            error.user_message or "The card was declined.",
            decline_code=body.get("decline_code") or error.code,
            payment_id=intent.get("id"),
        )
    if _key_in_use(error):
        return ProviderKeyInUse(
            "Another request with the same idempotency key is still running at the payment provider.",
            details={"provider_code": "idempotency_key_in_use"},
        )
    if isinstance(error, stripe.APIConnectionError | stripe.APIError | stripe.RateLimitError):
        return ProviderUnavailable(
            f"The payment provider did not answer: {type(error).__name__}.",
            details={"provider_error": type(error).__name__},
        )
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return ProviderMisconfigured("The payment provider refused our credentials.")
    if isinstance(error, stripe.IdempotencyError):
        # The key was sent before with other parameters: our request changed under one key. Retrying cannot help.
        return ProviderRejected(
            str(error.user_message or error),
            code="provider_idempotency_key_mismatch",
            details={"provider_code": "idempotency_key_mismatch"},
        )
    if isinstance(error, stripe.InvalidRequestError):
        return ProviderRejected(
            str(error.user_message or error),
            details={"provider_code": error.code, "param": error.param},
            replayed=_replayed(error),
        )
    return ProviderError(f"The payment provider failed: {type(error).__name__}.")
