"""Journeys of the model (``test_checkout_model.CheckoutModel``) replayed step by step, as Hypothesis prints a
falsifying example: the invariants are checked after every step, and the example ends settled and exact. Each one
pins a sequence that once broke (or still breaks) a money invariant."""

from __future__ import annotations

from typing import Any

import pytest

from model.test_checkout_model import CheckoutModel
from model.world import Databases, World
from support.provider_sim_process import ProviderSimProcess


class FirstChoice:
    """Stands for Hypothesis's ``data()`` as a falsifying example prints it: every draw (``which``) is the first."""

    def draw(self, strategy: Any, label: str | None = None) -> int:
        return 0


@pytest.fixture
def state(model_databases: Databases, sim_process: ProviderSimProcess) -> CheckoutModel:
    return CheckoutModel(World(model_databases, sim_process))


def test_paying_an_old_tab_after_a_retry_refunds_the_duplicate_and_keeps_the_order_paid(state: CheckoutModel) -> None:
    """Found by the model: a declined first attempt, a retry paid and processed, then the first attempt's tab paid
    too. The second payment is a duplicate and is refunded; the order must stay fulfilled (it used to become
    `refunded`, the refund being counted against the payment the order kept, whose download was then revoked
    and which could no longer be refunded through the admin API)."""
    try:
        state.money_invariants_hold()
        carts_0 = state.first_customer_checks_out(
            items={"EBOOK": 1}, total=None, how="once", pays_with="pm_card_chargeDeclined"
        )
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.customer_retries_payment(cart=carts_0, key="new", pays_with="pm_card_visa")
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="oldest")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_delayed_payment_that_fails_after_its_order_was_cancelled_leaves_no_payable_intent(
    state: CheckoutModel,
) -> None:
    """Found by the model (long profile): an order paid by a delayed method is cancelled while the payment is
    processing; the payment then fails, and Stripe puts the intent back to ``requires_payment_method``: the
    customer could pay a cancelled order (``no_confirmable_intent_once_over``). Such an intent is voided when
    seen now."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"SHIRT": 1}, total=None, how="once", pays_with="pm_delayed_succeeds"
        )
        state.money_invariants_hold()
        state.operator_cancels(cart=carts_0)
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
        state.delayed_payment_settles(data=FirstChoice(), outcome="fail")  # type: ignore[arg-type]
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()
