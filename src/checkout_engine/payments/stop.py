"""The one way to stop a payment intent: cancel it at the provider unless money already moved, then read back
what the provider holds. Expiry, voids, a reopened order's previous attempt and an orphaned intent all go
through here, so each decides on the provider's final word, never on a refused or unanswered cancellation."""

from __future__ import annotations

from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import PaymentStatus, ProviderPayment, ProviderRejected
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.payments.provider_keys import ProviderKeys

CANCEL = "cancel"
# The provider holds, or is about to hold, the customer's money: cancelling would race it (a processing payment
# cannot be cancelled and may still succeed).
MONEY_MOVED = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED, PaymentStatus.PROCESSING})


def stop_payment(
    provider: PaymentProvider, keys: ProviderKeys, attempt: PaymentAttempt, *, release_authorization: bool = False
) -> ProviderPayment:
    """Cancel the attempt's intent unless money moved (an authorization is released only when asked); returns the
    provider's final word. ``ProviderUnavailable`` is raised for the caller to retry: nothing is assumed."""
    assert attempt.provider_payment_id is not None
    keep = MONEY_MOVED - {PaymentStatus.AUTHORIZED} if release_authorization else MONEY_MOVED
    payment = provider.retrieve(attempt.provider_payment_id)
    if payment.status in keep or payment.status is PaymentStatus.CANCELED:
        return payment
    for _ in range(2):  # a replayed refusal was an earlier call's, about the intent as it was: decided again, once
        key = keys.current(CANCEL, attempt.id)
        try:
            return provider.cancel(payment.id, idempotency_key=key)
        except ProviderRejected as refusal:
            keys.spend(key, because=refusal.message)  # the provider keeps the refusal under it: the key is done
            payment = provider.retrieve(payment.id)  # it changed under us (paid a moment ago?): its word now
            if not refusal.replayed or payment.status in keep or payment.status is PaymentStatus.CANCELED:
                return payment
    return payment
