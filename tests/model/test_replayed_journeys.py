"""Journeys of the model (``test_checkout_model.CheckoutModel``) replayed step by step, as Hypothesis prints a
falsifying example: the invariants are checked after every step, and the example ends settled and exact. Each one
pins a sequence that once broke (or still breaks) a money invariant."""

from __future__ import annotations

import pytest

from model.test_checkout_model import CheckoutModel
from model.world import Databases, World
from support.provider_sim_process import ProviderSimProcess


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
