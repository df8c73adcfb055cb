"""Staff commands on reconciliation, audited in the caller's unit of work: the API and the dashboard share them."""

from __future__ import annotations

from checkout_engine.admin.roles import Principal
from checkout_engine.audit import repository as audit
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import NotFound
from checkout_engine.jobs import repository as jobs
from checkout_engine.reconciliation import repository as reconciliation
from checkout_engine.reconciliation.jobs import RECONCILE


def request_reconciliation(uow: UnitOfWork, principal: Principal, *, reason: str) -> bool:
    """Queue a run for the worker; False when one is already queued or running."""
    queued = jobs.enqueue(uow.connection, RECONCILE, {"requested_by": principal.name}, dedupe_key=RECONCILE)
    audit.record(
        uow.connection,
        principal=principal,
        action="reconciliation.request",
        target=("reconciliation", "run"),
        reason=reason,
        before=None,
        after={"queued": queued},
    )
    return queued


def resolve_finding(uow: UnitOfWork, principal: Principal, finding_id: int, *, note: str) -> None:
    if not reconciliation.resolve(uow.connection, finding_id, note=note, by=principal.name):
        raise NotFound("No open finding with this id.", code="finding_not_found")
    audit.record(
        uow.connection,
        principal=principal,
        action="finding.resolve",
        target=("finding", str(finding_id)),
        reason=note,
        before={"status": "open"},
        after={"status": "resolved"},
    )
