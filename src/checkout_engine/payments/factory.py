"""Building the configured payment provider from settings."""

from __future__ import annotations

from checkout_engine.errors import CheckoutError
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.payments.providers.stripe import StripeProvider
from checkout_engine.settings import Settings


class ProviderNotConfigured(CheckoutError):
    code = "provider_not_configured"


def build_provider(settings: Settings) -> PaymentProvider:
    if settings.provider != "stripe":
        raise ProviderNotConfigured(f"Unknown payment provider {settings.provider!r}; only 'stripe' is built in.")
    if settings.stripe_secret_key is None:
        raise ProviderNotConfigured("Set CHECKOUT_STRIPE_SECRET_KEY to take payments.")
    return StripeProvider(
        secret_key=settings.stripe_secret_key.get_secret_value(),
        api_base=settings.stripe_api_base,
        webhook_secrets=settings.webhook_secrets(),
        webhook_tolerance_seconds=settings.webhook_tolerance_seconds,
        timeout_seconds=settings.provider_timeout_seconds,
        payment_methods=settings.stripe_payment_methods.split(","),
        return_url=settings.stripe_return_url,
    )
