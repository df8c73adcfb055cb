"""Rules of the model for things out of step with each other: the provider's clock running a day ahead of the last
step (it forgets idempotency keys, settles what fell due), two workers on one intent, the slower one committing
a read older than what the other already applied, and a call of ours the provider refused, whose refusal it keeps
under the call's key."""

from __future__ import annotations

import contextlib

import stripe
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.payments import attempts
from checkout_engine.payments.model import PaymentStatus
from checkout_engine.payments.provider_keys import current_key
from checkout_engine.payments.settle import settle
from model.journeys import CartRef
from model.machine import ModelState, carts
from model.settling import complete_abandoned

# Past the 24 h the provider keeps an idempotency key (Stripe's rule, and the simulator's), and a little more.
A_DAY_AND_AN_HOUR_SECONDS = 25 * 60 * 60
# What a payment ends in: a slow worker's read of an earlier status must not bring it back. (Only these: a decline
# or a failed delayed payment is no end, Stripe lets the customer confirm the intent again, and the engine's
# lifecycle, ``payments.attempts.MAY_BECOME``, lets the undecided statuses follow each other either way; a stale
# ``processing`` read committed after a failure is written back.)
ENDED = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED})


class OutOfStep(ModelState):
    @rule()
    def a_day_passes_at_the_provider(self) -> None:
        """A day and an hour pass at the provider: it forgets the idempotency keys it was sent, and does what fell
        due (a ``pm_card_refundPending`` refund after 3 of its days, an authorization lapses after 7). Our side
        did its routine meanwhile: every checkout whose client went away was completed and the worker ran what
        was due; our orders' holds, their time measured by our clock, have not run out."""
        complete_abandoned(self.world)
        self.world.worker.drain()
        self.world.sim.sim("POST", "clock", {"advance_seconds": A_DAY_AND_AN_HOUR_SECONDS})

    @rule(cart=carts)
    def a_worker_reads_a_payment(self, cart: CartRef) -> None:
        """A worker processing one of the order's events reads its latest intent, and is slow to commit it."""
        if cart.order and cart.order.intents:
            self.reads.append(self.world.provider.retrieve(cart.order.intents[-1]))

    @precondition(lambda self: self.reads)
    @rule(data=st.data())
    def a_slow_worker_commits_its_old_read(self, data: st.DataObject) -> None:
        """The slow worker settles the payment with what it read, once the payment has ended (succeeded, or
        cancelled) and another worker applied that: an older read must change nothing."""
        read = self.reads.pop(data.draw(st.integers(0, len(self.reads) - 1), label="which"))
        if self.world.provider.retrieve(read.id).status not in ENDED:
            return
        self.world.sim.flush_webhooks()
        self.world.events_worker.drain()  # the newer word is applied first
        with UnitOfWork(self.world.engine) as uow:
            attempt = attempts.by_provider_id(uow.connection, "stripe", read.id)
            assert attempt is not None
            event = f"evt_slow_read_{len(self.calls.made)}_{read.id}"
            settle(uow, attempt, read, provider_event_id=event, actor="provider", settings=self.world.settings)
            uow.commit()

    @rule(cart=carts, operation=st.sampled_from(["capture", "cancel"]))
    def an_early_call_of_ours_was_refused(self, cart: CartRef, operation: str) -> None:
        """A capture or a cancel of the order's latest attempt went out too early (a capture before the money was
        held, a cancel while a payment was processing) and was refused: the provider keeps that refusal under the
        call's key and gives it again to the next call that sends the key, whatever happened since."""
        if not (cart.order and cart.order.intents):
            return
        intent = cart.order.intents[-1]
        with UnitOfWork(self.world.engine) as uow:
            attempt = attempts.by_provider_id(uow.connection, "stripe", intent)
            if attempt is None:
                return
            key = current_key(uow.connection, operation, attempt.id)
            uow.commit()
        status = self.world.provider.retrieve(intent).raw_status
        refused = {"capture": status != "requires_capture", "cancel": status == "processing"}[operation]
        if refused:
            call = getattr(self.world.as_engine.v1.payment_intents, operation)
            with contextlib.suppress(stripe.InvalidRequestError):
                call(intent, options={"idempotency_key": key})
