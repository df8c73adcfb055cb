"""The simulated account: every operation on it runs under one lock and may appoint work that falls due later."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from provider_sim import captures, refunds
from provider_sim import payment_intents as flows
from provider_sim.agenda import Agenda, Due
from provider_sim.clock import SimClock
from provider_sim.config import SimConfig
from provider_sim.errors import StripeApiError, resource_missing
from provider_sim.ledger import KINDS, Ledger
from provider_sim.objects import NO_REQUEST, IntentStatus, JsonObject, PaymentIntent, Refund, RequestInfo
from provider_sim.rendering import Expand, expanded
from provider_sim.sim_controls import TestControls
from provider_sim.sim_lists import AccountLists


class Scheduler(Protocol):
    def call_later(self, delay_seconds: float, callback: Callable[[], None]) -> None: ...

    def cancel_all(self) -> None: ...


@dataclass
class SettlementSettings:
    """When background settlement happens; a delay of None leaves objects pending until settled by hand."""

    payment_delay_ms: int | None
    refund_delay_ms: int | None
    refunds_succeed: bool = True

    @classmethod
    def from_config(cls, config: SimConfig) -> SettlementSettings:
        return cls(config.settle_delay_ms, config.refund_settle_delay_ms)

    def to_dict(self) -> JsonObject:
        return {
            "payment_delay_ms": self.payment_delay_ms,
            "refund_delay_ms": self.refund_delay_ms,
            "refund_outcome": "succeed" if self.refunds_succeed else "fail",
        }


@dataclass(frozen=True)
class CaptureSpec:
    amount: int | None = None
    metadata: dict[str, str] | None = None
    statement_descriptor: str | None = None
    statement_descriptor_suffix: str | None = None


@dataclass(frozen=True)
class RefundTarget:
    """What a refund is for: a PaymentIntent or, as older integrations say it, its charge."""

    payment_intent: str | None = None
    charge: str | None = None
    expand: Expand = ()


class Simulator(AccountLists, TestControls):
    """The account's operations; its lists and test controls are mixed in from modules of their own."""

    def __init__(self, config: SimConfig, scheduler: Scheduler, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = SimClock(clock)
        self.ledger = Ledger(config.api_version, self.clock)
        self.settlement = SettlementSettings.from_config(config)
        self._scheduler = scheduler
        self._agenda = Agenda()
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def executing(self) -> Iterator[None]:
        """An API operation running against the account, under the account's lock. From here on the endpoint has
        begun executing in Stripe's sense: whatever error it answers is stored under the idempotency key."""
        with self._lock:
            try:
                yield
            except StripeApiError as error:
                error.replayable = True
                raise

    def reset(self) -> None:
        with self._lock:
            self._scheduler.cancel_all()
            self._agenda.clear()
            self.ledger.clear()
            self.settlement = SettlementSettings.from_config(self.config)
            self.clock.reset()

    # -- Time -----------------------------------------------------------------------------------------------

    def advance_clock(self, seconds: int) -> dict[str, int]:
        """Moves the clock forward and does everything due by the new time, earliest first; answers the counts."""
        with self._lock:
            self.clock.advance(seconds)
            due = self._agenda.take_due(self.clock())
            done = Counter(appointment.kind for appointment in due if self._do(appointment.kind, appointment.object_id))
            return {kind.value: done[kind] for kind in Due}

    def _appoint(self, kind: Due, object_id: str, due_at: float) -> None:
        """Work done when its timer fires or when the clock is moved past `due_at`, whichever comes first."""
        self._agenda.add(due_at, kind, object_id)

        def fire() -> None:
            self._do(kind, object_id)

        self._scheduler.call_later(max(due_at - self.clock(), 0.0), fire)

    def _do(self, kind: Due, object_id: str) -> bool:
        """Does the appointed work unless its object has moved on meanwhile (then it is a no-op)."""
        with self._lock:
            if kind is Due.PAYMENT_SETTLEMENT:
                return self._settle_if_processing(object_id)
            if kind is Due.REFUND_SETTLEMENT:
                return self._settle_refund_if_pending(object_id)
            return self._lapse_if_uncaptured(object_id)

    def _follow_up(self, intent: PaymentIntent) -> None:
        """Appoints what the intent's new status waits for: its settlement, or the end of its authorisation."""
        delay_ms = self.settlement.payment_delay_ms
        if intent.status is IntentStatus.PROCESSING and delay_ms is not None:
            self._appoint(Due.PAYMENT_SETTLEMENT, intent.id, self.clock() + delay_ms / 1000)
        charge = self.ledger.charges.get(intent.latest_charge or "")
        if intent.status is IntentStatus.REQUIRES_CAPTURE and charge is not None and charge.capture_before:
            self._appoint(Due.AUTHORIZATION_EXPIRY, intent.id, charge.capture_before)

    # -- PaymentIntents -------------------------------------------------------------------------------------

    def create_payment_intent(
        self,
        spec: flows.IntentSpec,
        confirm: flows.ConfirmOptions | None,
        request: RequestInfo,
        expand: Expand = (),
        customer: str | None = None,
    ) -> JsonObject:
        with self.executing():
            self._no_such_customer(customer)
            intent = flows.create_intent(self.ledger, spec, request)
            if confirm is not None:
                self._confirm(intent, confirm, request)
            return expanded(self.ledger, intent.to_dict(), expand)

    @staticmethod
    def _no_such_customer(customer: str | None) -> None:
        """The simulated account has no customers, so any customer named is missing."""
        if customer is not None:
            raise resource_missing("customer", customer, param="customer")

    def update_payment_intent(
        self, intent_id: str, changes: JsonObject, customer: str | None, expand: Expand = ()
    ) -> JsonObject:
        with self.executing():
            intent = self.payment_intent(intent_id)
            self._no_such_customer(customer)
            flows.update_intent(intent, changes)
            return expanded(self.ledger, intent.to_dict(), expand)

    def retrieve(self, prefix: str, object_id: str, expand: Expand = ()) -> JsonObject:
        """An object of the kind `prefix` names (`pi`, `ch`, `re`, `evt`), as JSON."""
        if object_id.partition("_")[0] != prefix:
            raise resource_missing(KINDS[prefix], object_id)
        with self.executing():
            return expanded(self.ledger, self.ledger.find(object_id).to_dict(), expand)

    def client_secret(self, intent_id: str) -> str | None:
        intent = self.ledger.payment_intents.get(intent_id)
        return None if intent is None else intent.client_secret

    def payment_intent(self, intent_id: str, param: str = "id") -> PaymentIntent:
        intent = self.ledger.payment_intents.get(intent_id)
        if intent is None:
            raise resource_missing("payment_intent", intent_id, param=param)
        return intent

    def confirm_payment_intent(
        self, intent_id: str, options: flows.ConfirmOptions, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self.executing():
            intent = self.payment_intent(intent_id)
            self._confirm(intent, options, request)
            return expanded(self.ledger, intent.to_dict(), expand)

    def capture_payment_intent(
        self, intent_id: str, capture: CaptureSpec, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self.executing():
            intent = self.payment_intent(intent_id)
            captures.capture_intent(
                self.ledger,
                intent,
                capture.amount,
                request,
                metadata=capture.metadata,
                statement_descriptor=capture.statement_descriptor,
                statement_descriptor_suffix=capture.statement_descriptor_suffix,
            )
            return expanded(self.ledger, intent.to_dict(), expand)

    def cancel_payment_intent(
        self, intent_id: str, reason: str | None, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self.executing():
            intent = self.payment_intent(intent_id)
            captures.cancel_intent(self.ledger, intent, reason, request)
            return expanded(self.ledger, intent.to_dict(), expand)

    def _confirm(self, intent: PaymentIntent, options: flows.ConfirmOptions, request: RequestInfo) -> None:
        flows.confirm_intent(self.ledger, intent, options, request)
        self._follow_up(intent)

    def _settle_if_processing(self, intent_id: str) -> bool:
        intent = self.ledger.payment_intents.get(intent_id)
        if intent is None or intent.status is not IntentStatus.PROCESSING:
            return False
        flows.settle_intent(self.ledger, intent, None, NO_REQUEST)
        self._follow_up(intent)
        return True

    def _lapse_if_uncaptured(self, intent_id: str) -> bool:
        intent = self.ledger.payment_intents.get(intent_id)
        if intent is None or intent.status is not IntentStatus.REQUIRES_CAPTURE:
            return False
        captures.lapse_authorization(self.ledger, intent)
        return True

    # -- Refunds, charges, events ---------------------------------------------------------------------------

    def create_refund(
        self, target: RefundTarget, spec: refunds.RefundSpec, request: RequestInfo, customer: str | None = None
    ) -> JsonObject:
        with self.executing():
            self._no_such_customer(customer)
            intent = self._refunded_intent(target)
            charge = refunds.captured_charge(self.ledger, intent)
            refund = refunds.create_refund(self.ledger, charge, spec, request)
            delay = refunds.settles_after_seconds(charge, self.settlement.refund_delay_ms)
            if delay is not None:
                self._appoint(Due.REFUND_SETTLEMENT, refund.id, self.clock() + delay)
            return expanded(self.ledger, refund.to_dict(), target.expand)

    def _refunded_intent(self, target: RefundTarget) -> PaymentIntent:
        if target.payment_intent is not None:
            return self.payment_intent(target.payment_intent, param="payment_intent")
        charge = self.ledger.charges.get(target.charge or "")
        if charge is None:
            raise resource_missing("charge", target.charge or "", param="charge")
        return self.payment_intent(charge.payment_intent)

    def update_refund(
        self, refund_id: str, metadata: dict[str, str | None], clear: bool, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self.executing():
            refund = self._refund(refund_id)
            refunds.update_refund(self.ledger, refund, metadata, clear, request)
            return expanded(self.ledger, refund.to_dict(), expand)

    def cancel_refund(self, refund_id: str, request: RequestInfo, expand: Expand = ()) -> JsonObject:
        with self.executing():
            refund = self._refund(refund_id)
            refunds.cancel_refund(self.ledger, refund, request)
            return expanded(self.ledger, refund.to_dict(), expand)

    def _refund(self, refund_id: str) -> Refund:
        refund = self.ledger.refunds.get(refund_id)
        if refund is None:
            raise resource_missing("refund", refund_id)
        return refund

    def _settle_refund_if_pending(self, refund_id: str) -> bool:
        refund = self.ledger.refunds.get(refund_id)
        if refund is None or refund.status != "pending":
            return False
        succeed = refunds.outcome_for(self.ledger, refund, self.settlement.refunds_succeed)
        refunds.settle_refund(self.ledger, refund, succeed, NO_REQUEST)
        return True
