"""The `/_sim` test controls acting on the account: what the customer, the bank or a chargeback would do."""

from __future__ import annotations

import threading

from provider_sim import payment_intents as flows
from provider_sim import refunds
from provider_sim.errors import resource_missing
from provider_sim.ledger import Ledger
from provider_sim.objects import NO_REQUEST, JsonObject, PaymentIntent


class TestControls:
    """Mixed into the simulator, which provides the ledger, the lock, and the follow-up of a new status."""

    ledger: Ledger
    _lock: threading.RLock

    def payment_intent(self, intent_id: str, param: str = "id") -> PaymentIntent:
        raise NotImplementedError

    def _follow_up(self, intent: PaymentIntent) -> None:
        raise NotImplementedError

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
