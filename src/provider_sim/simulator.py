"""The simulated account: every operation on it runs under one lock and may appoint work that falls due later."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from provider_sim import payment_intents as flows
from provider_sim import refunds
from provider_sim.agenda import Agenda, Due
from provider_sim.clock import SimClock
from provider_sim.config import SimConfig
from provider_sim.errors import resource_missing
from provider_sim.ledger import KINDS, Ledger
from provider_sim.listing import paginate
from provider_sim.objects import (
    NO_REQUEST,
    Event,
    IntentStatus,
    JsonObject,
    PaymentIntent,
    Refund,
    RequestInfo,
)
from provider_sim.params import CreatedRange, PageRequest
from provider_sim.rendering import Expand, JsonPage, expanded, page_json
from provider_sim.search import Query


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


def _event_types_match(event: Event, types: list[str]) -> bool:
    """Exact types, or a family such as `charge.dispute.*`."""
    return not types or any(
        event.type == wanted or (wanted.endswith(".*") and event.type.startswith(wanted[:-1])) for wanted in types
    )


@dataclass(frozen=True)
class RefundTarget:
    """What a refund is for: a PaymentIntent or, as older integrations say it, its charge."""

    payment_intent: str | None = None
    charge: str | None = None
    expand: Expand = ()


class Simulator:
    def __init__(self, config: SimConfig, scheduler: Scheduler, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = SimClock(clock)
        self.ledger = Ledger(config.api_version, self.clock)
        self.settlement = SettlementSettings.from_config(config)
        self._scheduler = scheduler
        self._agenda = Agenda()
        self._lock = threading.RLock()

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
        self, spec: flows.IntentSpec, confirm: bool, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self._lock:
            intent = flows.create_intent(self.ledger, spec, request)
            if confirm:
                self._confirm(intent, None, request)
            return expanded(self.ledger, intent.to_dict(), expand)

    def retrieve(self, prefix: str, object_id: str, expand: Expand = ()) -> JsonObject:
        """An object of the kind `prefix` names (`pi`, `ch`, `re`, `evt`), as JSON."""
        if object_id.partition("_")[0] != prefix:
            raise resource_missing(KINDS[prefix], object_id)
        with self._lock:
            return expanded(self.ledger, self.ledger.find(object_id).to_dict(), expand)

    def client_secret(self, intent_id: str) -> str | None:
        intent = self.ledger.payment_intents.get(intent_id)
        return None if intent is None else intent.client_secret

    def payment_intent(self, intent_id: str, param: str = "id") -> PaymentIntent:
        intent = self.ledger.payment_intents.get(intent_id)
        if intent is None:
            raise resource_missing("payment_intent", intent_id, param=param)
        return intent

    def list_payment_intents(self, page: PageRequest, created: CreatedRange, expand: Expand = ()) -> JsonPage:
        with self._lock:
            found = paginate(self.ledger.payment_intents, page, lambda pi: created.contains(pi.created))
            return page_json(self.ledger, found, expand)

    def search_payment_intents(self, query: Query, limit: int, offset: int) -> JsonPage:
        """Matches newest first; `offset` is where the previous page stopped."""
        with self._lock:
            matching = [i.to_dict() for i in reversed(list(self.ledger.payment_intents)) if query.matches(i.to_dict())]
            return matching[offset : offset + limit], len(matching) > offset + limit

    def confirm_payment_intent(
        self, intent_id: str, payment_method: str | None, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self._lock:
            intent = self.payment_intent(intent_id)
            self._confirm(intent, payment_method, request)
            return expanded(self.ledger, intent.to_dict(), expand)

    def capture_payment_intent(
        self, intent_id: str, amount: int | None, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self._lock:
            intent = self.payment_intent(intent_id)
            flows.capture_intent(self.ledger, intent, amount, request)
            return expanded(self.ledger, intent.to_dict(), expand)

    def cancel_payment_intent(
        self, intent_id: str, reason: str | None, request: RequestInfo, expand: Expand = ()
    ) -> JsonObject:
        with self._lock:
            intent = self.payment_intent(intent_id)
            flows.cancel_intent(self.ledger, intent, reason, request)
            return expanded(self.ledger, intent.to_dict(), expand)

    def _confirm(self, intent: PaymentIntent, payment_method: str | None, request: RequestInfo) -> None:
        flows.confirm_intent(self.ledger, intent, payment_method, request)
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
        flows.lapse_authorization(self.ledger, intent)
        return True

    # -- Refunds, charges, events ---------------------------------------------------------------------------

    def create_refund(self, target: RefundTarget, spec: refunds.RefundSpec, request: RequestInfo) -> JsonObject:
        with self._lock:
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

    def _settle_refund_if_pending(self, refund_id: str) -> bool:
        refund = self.ledger.refunds.get(refund_id)
        if refund is None or refund.status != "pending":
            return False
        succeed = refunds.outcome_for(self.ledger, refund, self.settlement.refunds_succeed)
        refunds.settle_refund(self.ledger, refund, succeed, NO_REQUEST)
        return True

    def list_refunds(
        self,
        page: PageRequest,
        created: CreatedRange,
        intent_id: str | None,
        charge_id: str | None,
        expand: Expand = (),
    ) -> JsonPage:
        def keep(refund: Refund) -> bool:
            return (
                created.contains(refund.created)
                and intent_id in (None, refund.payment_intent)
                and charge_id in (None, refund.charge)
            )

        with self._lock:
            return page_json(self.ledger, paginate(self.ledger.refunds, page, keep), expand)

    def list_events(self, page: PageRequest, created: CreatedRange, types: list[str]) -> JsonPage:
        def keep(event: Event) -> bool:
            return created.contains(event.created) and _event_types_match(event, types)

        with self._lock:
            return page_json(self.ledger, paginate(self.ledger.events, page, keep), ())

    # -- Test controls --------------------------------------------------------------------------------------

    def authenticate(self, intent_id: str, succeed: bool) -> JsonObject:
        with self._lock:
            intent = self.payment_intent(intent_id)
            flows.authenticate_intent(self.ledger, intent, succeed, NO_REQUEST)
            self._follow_up(intent)
            return intent.to_dict()

    def settle_payment(self, intent_id: str, succeed: bool | None) -> JsonObject:
        with self._lock:
            intent = self.payment_intent(intent_id)
            flows.settle_intent(self.ledger, intent, succeed, NO_REQUEST)
            self._follow_up(intent)
            return intent.to_dict()

    def alter_payment_intent(self, intent_id: str, amount: int | None, currency: str | None) -> JsonObject:
        with self._lock:
            intent = self.payment_intent(intent_id)
            flows.alter_record(self.ledger, intent, amount, currency)
            return intent.to_dict()

    def open_dispute(self, intent_id: str, amount: int | None, reason: str) -> JsonObject:
        with self._lock:
            intent = self.payment_intent(intent_id)
            return refunds.open_dispute(self.ledger, intent, amount, reason, NO_REQUEST).to_dict()

    def settle_refund(self, refund_id: str, succeed: bool | None) -> JsonObject:
        """Settles a pending refund now: with the given outcome, or its card's own (success for most cards)."""
        with self._lock:
            refund = self.ledger.refunds.get(refund_id)
            if refund is None:
                raise resource_missing("refund", refund_id)
            if succeed is None:
                succeed = refunds.outcome_for(self.ledger, refund, True)
            refunds.settle_refund(self.ledger, refund, succeed, NO_REQUEST)
            return refund.to_dict()
