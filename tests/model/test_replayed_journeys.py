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
        state.delayed_payment_settles(data=FirstChoice(), outcome="fail")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


# -- The interleavings of incidents 0003-0011 (tests/incidents), each a short journey the random budget may miss --


def test_a_refund_pending_past_the_providers_key_memory_is_never_made_twice(state: CheckoutModel) -> None:
    """Incident 0003: a refund stays pending at the provider for days (``pm_card_refundPending``); a day later the
    provider has forgotten the job's idempotency key, and reconciliation submits the refund again. Asking the
    provider again would make a second real refund (``refunds_one_to_one``)."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"EBOOK": 1}, total=None, how="once", pays_with="pm_card_refundPending"
        )
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.operator_refunds(cart=carts_0, share="half", key="new")
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.a_day_passes_at_the_provider()
        state.money_invariants_hold()
        state.reconciliation_runs(when="ten minutes on, since a run just now")
        state.money_invariants_hold()
        state.time_passes(what="jobs")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_paid_order_partly_refunded_during_its_review_ships_once_cleared(state: CheckoutModel) -> None:
    """Incident 0004: the order is held for review before it is paid, partly refunded while held, then cleared;
    it must ship (``kept_orders_fulfilled``)."""
    try:
        carts_0 = state.first_customer_checks_out(items={"SHIRT": 1}, total=None, how="once", pays_with=None)
        state.money_invariants_hold()
        state.operator_reviews(cart=carts_0, action="mark_for_review")
        state.money_invariants_hold()
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="latest")
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.operator_refunds(cart=carts_0, share="half", key="new")
        state.money_invariants_hold()
        state.time_passes(what="jobs")
        state.money_invariants_hold()
        state.provider_settles_refunds(outcome="succeed")
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.operator_reviews(cart=carts_0, action="clear_review")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_slow_workers_processing_read_after_the_success_moves_nothing_back(state: CheckoutModel) -> None:
    """Incident 0005: one worker reads a delayed payment while it is processing; another applies its success;
    then the first commits its old read. The attempt must stay succeeded (``attempts_match_intents``)."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"EBOOK": 1}, total=None, how="once", pays_with="pm_delayed_succeeds"
        )
        state.money_invariants_hold()
        state.a_worker_reads_a_payment(cart=carts_0)
        state.money_invariants_hold()
        state.delayed_payment_settles(data=FirstChoice(), outcome="succeed")
        state.money_invariants_hold()
        state.a_slow_worker_commits_its_old_read(data=FirstChoice())
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_new_attempt_after_a_decline_leaves_the_old_tab_nothing_to_pay(state: CheckoutModel) -> None:
    """Incident 0006: after a decline the customer asks for a new attempt in one tab; the declined intent, which
    Stripe lets a customer confirm again, is still open in another (``one_confirmable_intent_per_order``), and
    that tab pays it."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"SHIRT": 1}, total=None, how="once", pays_with="pm_card_chargeDeclined"
        )
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.customer_retries_payment(cart=carts_0, key="new", pays_with=None)
        state.money_invariants_hold()
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="oldest")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_new_attempt_for_an_expired_order_whose_events_come_first_holds_nothing_for_ever(
    state: CheckoutModel,
) -> None:
    """Incident 0007: a new attempt for an expired order, with its new intent's events processed before the
    request records it. The attempt must go ahead, and nothing it held again may stay held by an ended order
    (``holds_belong_to_waiting_orders``, ``holds_released_in_time``)."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"SHIRT": 1}, total=None, how="once", pays_with=None, coupon="LASTONE"
        )
        state.money_invariants_hold()
        state.reservation_runs_out(cart=carts_0, then="the sweep takes it")
        state.money_invariants_hold()
        state.customer_retries_payment(
            cart=carts_0, key="new", pays_with="pm_card_visa", how="with its events processed first"
        )
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_declined_order_paid_again_spends_the_last_redemption_once(state: CheckoutModel) -> None:
    """Incident 0008: an order with a coupon of one redemption is declined; another order asks for the coupon;
    the first customer confirms the same intent again with another card (``coupons_within_limits``,
    ``coupons_spent_by_paid_orders``)."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"SHIRT": 1}, total=None, how="once", pays_with="pm_card_chargeDeclined", coupon="LASTONE"
        )
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.customer_checks_out(
            items={"SHIRT": 1}, total=None, how="once", pays_with="pm_card_visa", coupon="LASTONE"
        )
        state.money_invariants_hold()
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="latest")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_capture_refused_after_the_bank_let_the_authorization_go_gives_the_stock_back(state: CheckoutModel) -> None:
    """Incident 0009: manual capture; the bank lets the authorization go before the worker captures it, so the
    capture is refused (``capture_failed``); its hold then runs out. No stock may stay held past its time
    (``holds_released_in_time``)."""
    try:
        state.the_shop_captures(method="manual")
        state.money_invariants_hold()
        carts_0 = state.first_customer_checks_out(items={"SHIRT": 1}, total=None, how="once", pays_with="pm_card_visa")
        state.money_invariants_hold()
        state.time_passes(what="webhooks, and their events only")
        state.money_invariants_hold()
        state.bank_releases_an_authorization(data=FirstChoice())
        state.money_invariants_hold()
        state.time_passes(what="jobs")
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.reservation_runs_out(cart=carts_0, then="the sweep takes it")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_an_authorization_whose_capture_job_died_is_captured_by_the_sweep(state: CheckoutModel) -> None:
    """Incident 0009: manual capture; the worker gives up on the capture during an outage; the capture sweep
    takes the authorized order again and it is paid and delivered (``kept_orders_fulfilled``)."""
    try:
        state.the_shop_captures(method="manual")
        state.money_invariants_hold()
        state.first_customer_checks_out(items={"EBOOK": 1}, total=None, how="once", pays_with="pm_card_visa")
        state.money_invariants_hold()
        state.time_passes(what="webhooks, and their events only")
        state.money_invariants_hold()
        state.capture_jobs_die()
        state.money_invariants_hold()
        state.time_passes(what="captures that died")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_reconciliation_finds_a_late_success_on_an_old_declined_intent_whose_webhooks_were_dropped(
    state: CheckoutModel,
) -> None:
    """Incident 0010: a declined intent is paid again with every webhook dropped; reconciliation, ten minutes on
    and with its cursor past the intent's creation, must find the payment (``provider_money_matches_orders``)."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"EBOOK": 1}, total=None, how="once", pays_with="pm_card_chargeDeclined"
        )
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.webhook_weather_changes(duplicate_rate=0.0, reorder_window_ms=0, drop_rate=1.0)
        state.money_invariants_hold()
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="latest")
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.reconciliation_runs(when="ten minutes on, since a run just now")
        state.money_invariants_hold()
        state.time_passes(what="jobs")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_an_operator_cancelling_while_the_customer_pays_leaves_the_money_where_the_order_says(
    state: CheckoutModel,
) -> None:
    """An admin cancel racing the customer's payment: whichever wins, a cancelled order keeps no money and a paid
    one is delivered (``provider_money_matches_orders``, ``kept_orders_fulfilled``)."""
    try:
        carts_0 = state.first_customer_checks_out(items={"SHIRT": 1}, total=None, how="once", pays_with=None)
        state.money_invariants_hold()
        state.operator_cancels_while_the_customer_pays(cart=carts_0, method="pm_card_visa")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_paid_order_held_for_review_and_cancelled_by_two_admins_returns_the_money_and_the_stock(
    state: CheckoutModel,
) -> None:
    """The model's find on the day approvals came: an admin cancelling a paid order (held for review, so not yet
    delivered) is asked for a second admin's approval; approved, the order is cancelled with a refund of all it took
    and its stock returned (``provider_money_matches_orders``, ``paid_orders_keep_their_price``, ``stock_agrees``)."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"SHIRT": 2}, coupon=None, how="once", total=None, pays_with=None
        )
        state.the_shop_captures(method="automatic")
        state.operator_reviews(action="mark_for_review", cart=carts_0)
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="latest")
        state.everything_due_happens()
        state.money_invariants_hold()
        state.operator_cancels(cart=carts_0)
        state.money_invariants_hold()
        state.second_admin_decides(decision="approve")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
        assert carts_0.order is not None
        detail = state.world.client.get(f"/admin/v1/orders/{carts_0.order.id}", headers=state.world.admin).json()
        assert detail["order"]["state"] == "cancelled_with_refund"
        assert [(r["amount"], r["status"]) for r in detail["refunds"]] == [(detail["order"]["total"], "succeeded")]
    finally:
        state.teardown()


def test_a_checkout_retried_after_a_crash_and_a_lapsed_hold_gets_the_intent_made_before(state: CheckoutModel) -> None:
    """Incident 0011: the process dies with the provider call in flight (the intent exists, it is not recorded);
    the hold and the dead request's lock both run out before the expiry sweep comes; the customer retries with
    the same key, and pays."""
    try:
        carts_0 = state.first_customer_checks_out(
            items={"SHIRT": 1}, total=None, how="dying after the intent is created", pays_with=None
        )
        state.money_invariants_hold()
        state.reservation_runs_out(cart=carts_0, then="the sweep has not come yet")
        state.money_invariants_hold()
        state.customer_checks_out_again(cart=carts_0, key="again", total=None)
        state.money_invariants_hold()
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="latest")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()


def test_a_declined_order_whose_intent_is_authorized_after_all_is_captured(state: CheckoutModel) -> None:
    """Found by the model (long profile, manual capture): a declined order's intent is confirmed again with a good
    card and authorized. Its ``amount_capturable_updated`` event could not move the order out of ``payment_failed``
    (no such transition); the job processing it died, and the attempt said failed while the provider held an
    authorization (``attempts_match_intents``, ``webhook_events_settled``, ``webhook_jobs_repaired``). Fixed by
    ``payment_failed -> payment_authorized`` in the state machine."""
    try:
        state.the_shop_captures(method="manual")
        state.money_invariants_hold()
        carts_0 = state.first_customer_checks_out(
            items={"SHIRT": 1}, total=None, how="once", pays_with="pm_card_chargeDeclined"
        )
        state.money_invariants_hold()
        state.time_passes(what="webhooks and jobs")
        state.money_invariants_hold()
        state.customer_pays(cart=carts_0, method="pm_card_visa", tabs="latest")
        state.money_invariants_hold()
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()
