"""What a reconciliation run finds, and what it did about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # our order waited, the provider had moved on
    PAID_MISMATCH = "paid_mismatch"  # the provider took money, our order was not paid
    UNKNOWN_PAYMENT = "unknown_payment"  # the provider took money for nothing we know
    AMOUNT_MISMATCH = "amount_mismatch"  # the provider's amount or currency is not the order's
    REFUND_MISMATCH = "refund_mismatch"  # our refund record and the provider's disagree
    REFUND_NOT_AT_PROVIDER = "refund_not_at_provider"  # a refund we recorded never reached the provider
    FULFILLED_WITHOUT_PROOF = "fulfilled_without_proof"  # fulfilment with no durable paid transition
    WEBHOOK_GAP = "webhook_gap"  # the provider has an event we never stored
    INVARIANT_VIOLATED = "invariant_violated"  # our own books break a money rule (see invariants/)
    WEBHOOK_STALLED = "webhook_stalled"  # a stored event whose processing gave up (its job died) before it was done


class Action(StrEnum):
    AUTO_REPAIRED = "auto_repaired"
    REFUND_STARTED = "refund_started"
    FLAGGED = "flagged_for_review"
    INGESTED = "ingested"
    RESUBMITTED = "resubmitted"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    subject: str
    action: Action
    order_id: str | None = None
    believed: dict[str, Any] | None = None
    provider_says: dict[str, Any] | None = None

    @property
    def open(self) -> bool:
        """Flagged findings wait for a person; repairs are resolved by what was done."""
        return self.action is Action.FLAGGED


@dataclass
class Tally:
    checked: dict[str, int] = field(default_factory=dict)
    findings: int = 0
    repairs: int = 0
    errors: int = 0

    def saw(self, check: str, count: int = 1) -> None:
        self.checked[check] = self.checked.get(check, 0) + count
