"""The provider-neutral interface every payment provider implements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from checkout_engine.payments.model import EventPage, IntentRequest, ProviderEvent, ProviderPayment, ProviderRefund


class PaymentProvider(Protocol):
    name: str

    def minimum_charge(self, currency: str) -> int:
        """The smallest amount (minor units) the provider takes in this currency."""
        ...

    def create_intent(self, request: IntentRequest) -> ProviderPayment:
        """Create (or, with the same idempotency key, get back) the intent. After a timeout it looks the intent
        up by ``request.reference`` instead of creating another; raises ``ProviderUnavailable`` if still unsure."""
        ...

    def find_intent(self, reference: str, *, created_after: datetime) -> ProviderPayment | None: ...

    def retrieve(self, payment_id: str) -> ProviderPayment: ...

    def confirm(self, payment_id: str, *, payment_method: str) -> ProviderPayment:
        """What the customer's browser does; used by tests, demos and the simulator's journeys."""
        ...

    def capture(self, payment_id: str, *, amount: int | None, idempotency_key: str) -> ProviderPayment: ...

    def cancel(self, payment_id: str, *, idempotency_key: str) -> ProviderPayment: ...

    def refund(
        self, payment_id: str, *, amount: int, idempotency_key: str, metadata: dict[str, str]
    ) -> ProviderRefund: ...

    def retrieve_refund(self, refund_id: str) -> ProviderRefund: ...

    def list_refunds(self, payment_id: str) -> list[ProviderRefund]: ...

    def list_events(self, *, created_after: int, starting_after: str | None = None, limit: int = 100) -> EventPage: ...

    def retrieve_event(self, event_id: str) -> ProviderEvent: ...

    # Everything created since a time (unix seconds, inclusive), page by page, without holding it all in memory;
    # payments also up to a time (inclusive), newest first, as the provider lists them.
    def iter_payments(self, *, created_after: int, created_until: int | None = None) -> Iterator[ProviderPayment]: ...

    def iter_refunds(self, *, created_after: int) -> Iterator[ProviderRefund]: ...

    def iter_events(self, *, created_after: int) -> Iterator[ProviderEvent]: ...
