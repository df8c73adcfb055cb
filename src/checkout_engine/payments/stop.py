"""The one way to stop a payment intent: cancel it at the provider unless money already moved, then read back
what the provider holds. Expiry, voids, a reopened order's previous attempt and an orphaned intent all go
through here, so each decides on the provider's final word, never on a refused or unanswered cancellation."""

from __future__ import annotations

from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import PaymentStatus, ProviderPayment, ProviderRejected, provider_idempotency_key
from checkout_engine.payments.provider import PaymentProvider

# The provider holds, or is about to hold, the customer's money: cancelling would race it (a processing payment
# cannot be cancelled and may still succeed).
MONEY_MOVED = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED, PaymentStatus.PROCESSING})


def stop_payment(
    provider: PaymentProvider, attempt: PaymentAttempt, *, release_authorization: bool = False
) -> ProviderPayment:
    """Cancel the attempt's intent unless money moved (an authorization is released only when asked); returns the
    provider's final word. ``ProviderUnavailable`` is raised for the caller to retry: nothing is assumed."""
    assert attempt.provider_payment_id is not None
    payment = provider.retrieve(attempt.provider_payment_id)
    keep = MONEY_MOVED - {PaymentStatus.AUTHORIZED} if release_authorization else MONEY_MOVED
    if payment.status in keep or payment.status is PaymentStatus.CANCELED:
        return payment
    try:
        return provider.cancel(payment.id, idempotency_key=provider_idempotency_key("cancel", attempt.id))
    except ProviderRejected:  # it changed under us (paid a moment ago?) or the key replays a refusal: read again
        return provider.retrieve(payment.id)
