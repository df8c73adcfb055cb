"""Pending payment sweep: every payment that could still take money for an order that holds none is settled by
the provider's current word once it has waited long enough, in pages, so 100,000 of them never sit in memory at
once. A success on any such intent, however old, is found here."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders.model import MONEY_IN
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import PaymentStatus, ProviderPayment
from checkout_engine.payments.truth import Action as Verdict
from checkout_engine.reconciliation.listing import Listing
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.references import settle_as_reconciliation
from checkout_engine.reconciliation.run import Run

NAME = "pending_payments"
PAGE = 500
PARALLEL = 8  # below the engine's pool, which the worker and the API share
# Provider statuses that change no order (the judgement waits for them): unchanged, they need no transaction.
UNDECIDED = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING})


def _stale_pages(run: Run) -> Iterator[list[PaymentAttempt]]:
    """Every attempt that could still take money for an order that has none, oldest first, a page at a time (one
    query a page): whatever the order's state (a declined intent can be confirmed again, an expired order's payment
    may still be processing) and however often the order was touched since, as long as it is older than the
    threshold."""
    cutoff = utcnow() - timedelta(seconds=run.settings.reconcile_pending_after_seconds)
    after = None
    while True:
        with run.engine.connect() as conn:
            page = attempts.still_open(conn, excluding_states=MONEY_IN, created_before=cutoff, after=after, limit=PAGE)
        run.tally.saw(NAME, len(page))
        if page:
            yield page
        if len(page) < PAGE:
            return
        after = (page[-1].created_at, page[-1].id)


def check(run: Run) -> None:
    # The provider's word comes from its list endpoint where that is cheaper, else one read per order; a few
    # orders at a time hide the round trips. A page is finished before the next is read, so memory stays flat
    # however many orders wait.
    listing = Listing(run.engine, run.provider)
    with ThreadPoolExecutor(PARALLEL) as pool:
        for page in _stale_pages(run):
            listed = listing.for_page(page)
            words = [listed.get(attempt.provider_payment_id or "") for attempt in page]
            for _ in pool.map(lambda attempt, word: _sweep(run, attempt, word), page, words):
                pass


def _unchanged(attempt: PaymentAttempt, current: ProviderPayment) -> bool:
    return current.status in UNDECIDED and (current.status.value, current.raw_status) == (
        attempt.status,
        attempt.raw_status,
    )


def _sweep(run: Run, attempt: PaymentAttempt, listed: ProviderPayment | None) -> None:
    assert attempt.provider_payment_id is not None
    # A listed word is a few seconds old at most, as a webhook's can be: settling is a compare-and-set on the
    # order and never moves an attempt's status backwards, so a newer word that follows still applies.
    current = listed or run.provider.retrieve(attempt.provider_payment_id)
    if _unchanged(attempt, current):
        return  # still waiting on the customer or the bank, as we already knew
    finding: Finding | None = None
    with UnitOfWork(run.engine) as uow:
        settled = settle_as_reconciliation(uow, attempt, current, run.settings)
        if settled is None:
            return  # settled by a webhook or another run a moment ago
        if settled.verdict.action not in (Verdict.NOTHING, Verdict.WAIT):
            finding = Finding(
                Kind.PENDING_PAYMENT,
                attempt.order_id,
                Action.AUTO_REPAIRED,
                attempt.order_id,
                believed={"state": settled.was.value},
                provider_says={"status": current.raw_status},
            )
            finding = finding if run.record(uow, finding) else None  # the repair and its finding commit together
        uow.commit()
    if finding is not None:
        run.count(finding)
