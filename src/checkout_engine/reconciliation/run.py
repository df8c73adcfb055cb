"""One reconciliation run: a recorded object that the checks report their findings and repairs into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.observability.metrics import RECONCILIATION_MISMATCHES, RECONCILIATION_REPAIRS
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation import repository
from checkout_engine.reconciliation.model import Action, Finding, Tally
from checkout_engine.settings import Settings

REPAIRS = frozenset({Action.AUTO_REPAIRED, Action.REFUND_STARTED, Action.INGESTED, Action.RESUBMITTED})


@dataclass
class Run:
    engine: Engine
    settings: Settings
    provider: PaymentProvider
    id: int
    since: datetime
    tally: Tally = field(default_factory=Tally)

    @property
    def since_unix(self) -> int:
        return int(self.since.timestamp())

    def report(self, finding: Finding) -> None:
        with UnitOfWork(self.engine) as uow:
            stored = self.record(uow, finding)
            uow.commit()
        if stored:
            self.count(finding)

    def record(self, uow: UnitOfWork, finding: Finding) -> bool:
        """Store a finding in the caller's transaction, beside the repair it reports; ``count`` it once committed.
        False when an open finding of the same kind and subject is already stored."""
        return repository.record(uow.connection, self.id, finding)

    def count(self, finding: Finding) -> None:
        self.tally.findings += 1
        self.tally.repairs += finding.action in REPAIRS
        RECONCILIATION_MISMATCHES.labels(kind=finding.kind.value).inc()
        if finding.action in REPAIRS:
            RECONCILIATION_REPAIRS.inc()
