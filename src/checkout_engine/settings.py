"""Runtime settings, read from ``CHECKOUT_*`` environment variables (defaults as in the public contract)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from checkout_engine.money import exponent

STRIPE_API_BASE = "https://api.stripe.com"


KEY_LOCK_MARGIN_SECONDS = 5
DEFAULT_SUPPORT_LIMIT = 10_000
DEFAULT_LIMIT_EXPONENT = 2  # the plain limit is in the minor units of a two-decimal currency (EUR, USD)


def parse_limits(value: int | str) -> tuple[int, dict[str, int]]:
    """``10000`` → (10000, {}); ``EUR:10000,JPY:15000`` → (10000, {EUR: 10000, JPY: 15000})."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a refund limit cannot be negative")
        return value, {}
    default, per_currency = DEFAULT_SUPPORT_LIMIT, {}
    for part in (p.strip() for p in value.split(",") if p.strip()):
        currency, _, amount = part.rpartition(":")
        if not amount.isdigit() or (currency and not (len(currency) == 3 and currency.isalpha())):
            raise ValueError(f"CHECKOUT_SUPPORT_REFUND_LIMIT: {part!r} is not AMOUNT or CURRENCY:AMOUNT (minor units)")
        if currency:
            per_currency[currency.upper()] = int(amount)
        else:
            default = int(amount)
    return default, per_currency


def _limit_in(value: int | str, currency: str) -> int:
    default, per_currency = parse_limits(value)
    if currency.upper() in per_currency:
        return per_currency[currency.upper()]
    scaled = Decimal(default) * Decimal(10) ** (exponent(currency.upper()) - DEFAULT_LIMIT_EXPONENT)
    return int(scaled.to_integral_value(rounding=ROUND_FLOOR))


Networks = tuple[IPv4Network | IPv6Network, ...]


@lru_cache(maxsize=8)
def parse_networks(value: str) -> Networks:
    """``10.0.0.1, 192.168.0.0/16, ::1`` → those networks (an address is a network of one)."""
    networks = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"CHECKOUT_TRUSTED_PROXIES: {part!r} is not an IP address or CIDR network") from None
    return tuple(networks)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHECKOUT_", extra="ignore")

    database_url: str = "sqlite:///./var/checkout.db"

    provider: str = "stripe"
    stripe_api_base: str = STRIPE_API_BASE
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    # A comma-separated list, so a new secret can be added before the old one is retired.
    stripe_webhook_secret: SecretStr | None = None
    # The payment methods an intent offers: Stripe's type names, comma-separated, or ``automatic`` for those
    # enabled in the Stripe dashboard (redirecting ones only when there is a return URL to come back to).
    stripe_payment_methods: str = Field(default="card", pattern=r"^[a-z_]+(,[a-z_]+)*$")
    # Where a redirect (a bank's page, 3-D Secure outside Stripe.js) brings the customer back to.
    stripe_return_url: str | None = None

    bootstrap_admin_key: SecretStr | None = None
    # Signs dashboard session cookies; without it logins last one process (set it when running several).
    session_secret: SecretStr | None = None

    reservation_ttl_seconds: int = Field(default=900, gt=0)  # long enough for 3-D Secure
    reconcile_pending_after_seconds: int = Field(default=600, gt=0)
    sweep_interval_seconds: int = Field(default=30, gt=0)
    reconcile_interval_seconds: int = Field(default=300, gt=0)
    webhook_tolerance_seconds: int = Field(default=300, gt=0)
    # Minor units: one number (for a two-decimal currency, scaled to the others by their exponent) and/or per
    # currency, ``10000`` or ``EUR:10000,JPY:15000`` or ``10000,JPY:15000``.
    support_refund_limit: int | str = 10_000
    # Optional: what one support agent may refund in a day (the last 24 hours) in all, in the same notation; a
    # refund beyond it, like one beyond the per-order limit, waits for a second person.
    support_daily_refund_limit: int | str | None = None
    # Outgoing webhooks may target private, loopback and link-local addresses (a shop's own network; tests).
    outgoing_webhooks_allow_private: bool = False
    # The first retry of a failed delivery waits about this long; each further one twice as long, up to six hours.
    outgoing_webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    # How long an approval request waits for its second person before it expires.
    approval_ttl_seconds: int = Field(default=86_400, gt=0)

    # A request holding an idempotency key longer than this is presumed dead and may be resumed by a retry.
    # How long a request's hold on its idempotency key outlives its last sign of life; by default the longest
    # provider step it waits on (a call and the look-up after its timeout) and a margin. Renewed between steps.
    idempotency_lock_seconds: int | None = Field(default=None, gt=0)
    idempotency_retention_hours: int = Field(default=24, gt=0)
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    job_lease_seconds: int = Field(default=60, gt=0)  # a worker silent for this long is presumed dead

    # Money that arrives for an order we can no longer fulfil (stock gone after expiry) goes back automatically.
    auto_refund_unfulfillable: bool = True
    capture_method: Literal["automatic", "manual"] = "automatic"
    download_limit: int = Field(default=5, gt=0)
    download_window_days: int = Field(default=30, gt=0)

    # More checkouts than this per customer or email within an hour get their orders flagged for review.
    velocity_limit_per_hour: int = Field(default=10, gt=0)

    # Database connections per API process, and as many request threads: a request never waits for a connection
    # while holding a thread, and the pool never opens and drops extra connections under load.
    db_pool_size: int = Field(default=16, gt=0, le=200)

    max_request_body_bytes: int = Field(default=64 * 1024, gt=0)
    max_webhook_body_bytes: int = Field(default=512 * 1024, gt=0)
    reconcile_self_check: bool = True  # reconciliation also runs the money invariants over our own books
    coupon_failure_limit: int = Field(default=5, gt=0)
    coupon_failure_window_seconds: int = Field(default=600, gt=0)
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses and CIDR networks); none by default,
    # so that a client cannot choose the address its limits are counted under.
    trusted_proxies: str = ""

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("CHECKOUT_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @field_validator("support_refund_limit", "support_daily_refund_limit")
    @classmethod
    def _readable_limit(cls, value: int | str | None) -> int | str | None:
        if value is not None:
            parse_limits(value)  # refuses a malformed value at start-up, not at the first refund
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _readable_networks(cls, value: str) -> str:
        parse_networks(value)  # refuses a malformed value at start-up, not at the first request
        return value

    def trusted_proxy_networks(self) -> Networks:
        return parse_networks(self.trusted_proxies)

    def support_limit_for(self, currency: str) -> int:
        """Support's refund limit per order in ``currency``'s minor units."""
        return _limit_in(self.support_refund_limit, currency)

    def support_daily_limit_for(self, currency: str) -> int | None:
        """What one support agent may refund per day in ``currency``; None when no daily limit is set."""
        if self.support_daily_refund_limit is None:
            return None
        return _limit_in(self.support_daily_refund_limit, currency)

    def key_lock(self) -> timedelta:
        if self.idempotency_lock_seconds is not None:
            return timedelta(seconds=self.idempotency_lock_seconds)
        return timedelta(seconds=2 * self.provider_timeout_seconds + KEY_LOCK_MARGIN_SECONDS)

    def reservation_ttl(self) -> timedelta:
        return timedelta(seconds=self.reservation_ttl_seconds)

    def webhook_secrets(self) -> list[str]:
        if self.stripe_webhook_secret is None:
            return []
        raw = self.stripe_webhook_secret.get_secret_value()
        return [part.strip() for part in raw.split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
