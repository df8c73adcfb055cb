"""A property-based model of checkout: Hypothesis drives random journeys through the real product (the API
in-process and over HTTP, the worker, reconciliation, expiry) on PostgreSQL against the simulator process —
carts (with a coupon only one order can redeem), checkouts with reused and concurrent idempotency keys, every test
payment method, manual capture (``model.strategies.CAPTURE``), webhooks delivered late, twice, out of order,
never, or processed before the checkout records its intent, expiries (before or after the sweep comes), refunds
(partial, full, concurrent), provider faults, processes dying mid-checkout, reviews, cancels racing a payment,
captures that die or are refused (``model.staff``), the provider's clock a day ahead, and slow workers committing
old reads (``model.out_of_step``) — and checks the money invariants (``model.invariants``: the ones the chaos run
checks too) against the database and the provider's own records after every step, exactly so after a step that
lets everything due happen (``model.settling``).

Each example gets a database of its own (cloned from a seeded template) and a reset simulator.

CI runs a bounded budget (``MODEL_EXAMPLES`` examples of up to ``MODEL_STEPS`` steps). For a deep run, choose the
``long`` profile registered in tests/conftest.py (200 examples of up to 50 steps; allow tens of minutes)::

    .venv/bin/pytest tests/model --hypothesis-profile=long -p no:randomly

Any other profile that sets ``max_examples`` or ``stateful_step_count`` is used as is.
A failure prints the shortest sequence of steps Hypothesis found, as Python to replay; keep it as a test in
test_replayed_journeys.py.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import timedelta
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule, run_state_machine_as_test

from checkout_engine.checkout import service
from checkout_engine.checkout.intent_phase import INTENT_CREATED
from checkout_engine.checkout.model import ORDER_CREATED, Hooks
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import inventory_reservations, orders
from checkout_engine.jobs.worker import Worker
from checkout_engine.orders import expiry
from checkout_engine.payments import capture
from checkout_engine.reconciliation.service import reconcile
from model import invariants
from model.journeys import CartRef, OrderRef, new_key, order_of, refund_left
from model.machine import MAX_CARTS, carts
from model.out_of_step import OutOfStep
from model.settling import age_past_reconciliation_thresholds, age_unfinished_keys, complete_abandoned, settle
from model.staff import BackOffice
from model.strategies import (
    CAPTURE,
    COUPONS,
    FAULTS,
    HOW,
    ITEMS,
    KEY_CHOICES,
    OUTCOMES,
    PAY_NOW,
    PAYMENT_METHODS,
    RETRY_HOW,
    SHARES,
    TABS,
    TOTALS,
)
from model.world import Databases, World
from support.crash import DieAt
from support.hooks import RunAt
from support.provider_sim_process import ProviderSimProcess, SimControlError

MODEL_EXAMPLES = 10
MODEL_STEPS = 20


def model_settings() -> settings:
    """The CI budget, unless the chosen profile sets a budget of its own (``long``, or any a developer makes)."""
    chosen, untouched = settings.default, settings.get_profile("default")
    assert chosen is not None
    budget: dict[str, Any] = {}
    if (chosen.max_examples, chosen.stateful_step_count) == (untouched.max_examples, untouched.stateful_step_count):
        budget = {"max_examples": MODEL_EXAMPLES, "stateful_step_count": MODEL_STEPS}
    return settings(chosen, deadline=None, suppress_health_check=[HealthCheck.too_slow], **budget)


room_for_a_cart = precondition(lambda self: self.cart_count < MAX_CARTS)


class CheckoutModel(BackOffice, OutOfStep):
    def teardown(self) -> None:
        try:
            if sys.exc_info()[1] is None:  # no step failed: the example must also end settled and exact
                self.everything_due_happens()
        finally:
            self.world.close()

    # -- Checkout -------------------------------------------------------------------------------------------

    def _events_first(self) -> Hooks:
        """Checkout hooks: once the intent exists at the provider, its webhooks are delivered and processed
        before the request goes on to record it."""
        return RunAt(INTENT_CREATED, lambda: (self.world.sim.flush_webhooks(), self.world.worker.drain()))

    def _check_out(
        self, items: dict[str, int], total: Any, how: str, pays_with: str | None, coupon: str | None = None
    ) -> CartRef:
        cart = self._new_cart(items, coupon)
        key, path = cart.new_key(), cart.checkout_path
        body = None if total is None else {"expected_total": cart.total if total == "right" else total}
        if how == "once":
            self._learn(cart, self.calls.post(path, key, body))
        elif how == "from three tabs at once":
            self._learn(cart, *self.calls.post_at_once([(path, key, body)] * 3))
        elif how.startswith("through"):
            self.world.sim.add_fault("POST", "/v1/payment_intents", how.split()[1])
            try:
                self._learn(cart, self.calls.post(path, key, body))
            finally:
                self.world.sim.clear_faults()
            if how.endswith("then again"):
                self._learn(cart, self.calls.post(path, key, body))
        elif how.startswith("dying"):
            self._check_out_in_process(cart, key, body, DieAt(ORDER_CREATED if "order" in how else INTENT_CREATED))
        else:
            self._check_out_in_process(cart, key, body, self._events_first())
        if pays_with and cart.order and cart.order.intents:
            self._pay(cart.order.intents[-1], pays_with)
        return cart

    def _check_out_in_process(self, cart: CartRef, key: str, body: dict[str, int] | None, hooks: Hooks) -> None:
        """The checkout carried out by the service itself, with ``hooks`` at its recovery points: the process is
        killed after the order is written or after the intent exists, or the intent's events come first."""
        world, expected = self.world, (body or {}).get("expected_total")
        outcome = self.calls.in_process(
            cart.checkout_path,
            key,
            body,
            lambda: service.checkout(
                world.engine,
                world.provider,
                world.settings,
                cart_id=cart.id,
                key=key,
                expected_total=expected,
                hooks=hooks,
            ),
        )
        if outcome is not None:
            self._saw(cart, outcome.status, outcome.body)

    @initialize(method=CAPTURE)
    def the_shop_captures(self, method: Literal["automatic", "manual"]) -> None:
        """Payments are captured as they are made, or only authorized and captured by the worker (from the next
        checkout on: an example's first checkout may come before)."""
        self.world.settings.capture_method = method

    @initialize(target=carts, items=ITEMS, total=TOTALS, how=HOW, pays_with=PAY_NOW, coupon=COUPONS)
    def first_customer_checks_out(
        self, items: dict[str, int], total: Any, how: str, pays_with: str | None, coupon: str | None = None
    ) -> Any:
        return self._check_out(items, total, how, pays_with, coupon)

    @room_for_a_cart
    @rule(target=carts, items=ITEMS, total=TOTALS, how=HOW, pays_with=PAY_NOW, coupon=COUPONS)
    def customer_checks_out(
        self, items: dict[str, int], total: Any, how: str, pays_with: str | None, coupon: str | None = None
    ) -> Any:
        """A new cart, maybe with the coupon, checked out with no expected total, the right one or a stale one:
        once, from three tabs at once with one key, through a provider fault (maybe retried with the key), with
        the process dying half-way, or with the intent's events processed before the checkout records it; then
        paid at once, or not yet."""
        return self._check_out(items, total, how, pays_with, coupon)

    @rule(cart=carts, key=KEY_CHOICES, total=TOTALS)
    def customer_checks_out_again(self, cart: CartRef, key: str, total: Any) -> None:
        """The same cart again (a reload, the back button): with its last key, or a new one."""
        key_used = cart.keys[-1] if key == "again" else cart.new_key()
        body = None if total is None else {"expected_total": cart.total if total == "right" else total}
        self._learn(cart, self.calls.post(cart.checkout_path, key_used, body))

    # -- Paying ---------------------------------------------------------------------------------------------

    @rule(cart=carts, method=st.sampled_from(PAYMENT_METHODS), tabs=TABS)
    def customer_pays(self, cart: CartRef, method: str, tabs: str) -> None:
        """With the order's latest intent, its first one (a tab left open since an earlier attempt), or every
        one the customer still has open, one after the other."""
        intents = cart.order.intents if cart.order else []
        chosen = {"latest": intents[-1:], "oldest": intents[:1]}.get(tabs, intents)
        for intent in reversed(chosen) if tabs == "all, newest first" else chosen:
            self._pay(intent, method)

    @precondition(lambda self: self.awaiting_action)
    @rule(data=st.data(), outcome=OUTCOMES)
    def customer_authenticates(self, data: st.DataObject, outcome: str) -> None:
        intent = self.awaiting_action.pop(data.draw(st.integers(0, len(self.awaiting_action) - 1), label="which"))
        with contextlib.suppress(SimControlError):  # expired or cancelled meanwhile
            self.world.sim.authenticate(intent, outcome)

    @precondition(lambda self: self.processing)
    @rule(data=st.data(), outcome=OUTCOMES)
    def delayed_payment_settles(self, data: st.DataObject, outcome: str) -> None:
        intent = self.processing.pop(data.draw(st.integers(0, len(self.processing) - 1), label="which"))
        self.world.sim.settle(intent, outcome)

    @rule(cart=carts, key=KEY_CHOICES, pays_with=PAY_NOW, how=RETRY_HOW)
    def customer_retries_payment(
        self, cart: CartRef, key: str, pays_with: str | None, how: str = "over the API"
    ) -> None:
        """A new payment attempt (for a failed or expired order), with a new key or the last one again, over the
        API or with the new intent's events processed before the request records it; paying at once, or not
        yet."""
        order = cart.order
        if order is None:
            return
        key_used = order.attempt_keys[-1] if key == "again" and order.attempt_keys else new_key()
        order.attempt_keys.append(key_used)
        if how == "over the API":
            answer = self.calls.post(order.attempts_path, key_used, headers={"X-Order-Token": order.token})
            made = answer.json() if answer.status_code == 201 else None
        else:
            made = self._retry_with_events_first(order, key_used)
        if made is not None:
            order.saw_payment(made)
            if pays_with:
                self._pay(made["payment"]["provider_payment_id"], pays_with)

    def _retry_with_events_first(self, order: OrderRef, key: str) -> dict[str, Any] | None:
        """The new attempt carried out by the service itself, its intent's events processed before it records
        the intent; its answer if it made one (201)."""
        world = self.world
        outcome = self.calls.in_process(
            order.attempts_path,
            key,
            None,
            lambda: service.new_payment_attempt(
                world.engine,
                world.provider,
                world.settings,
                order_id=order.id,
                order_token=order.token,
                key=key,
                hooks=self._events_first(),
            ),
        )
        return outcome.body if outcome is not None and outcome.status == 201 else None

    @rule(cart=carts)
    def operator_cancels(self, cart: CartRef) -> None:
        if cart.order:
            path = f"/admin/v1/orders/{cart.order.id}/actions/cancel"
            answer = self.world.client.post(path, json={"reason": "model"}, headers=self.world.admin)
            assert answer.status_code in (200, 202, 409), answer.text  # 202: a paid order waits for a second admin

    # -- Webhooks, jobs, time -------------------------------------------------------------------------------

    @rule(
        duplicate_rate=st.sampled_from([0.0, 0.5, 1.0]),
        reorder_window_ms=st.sampled_from([0, 1000]),
        drop_rate=st.sampled_from([0.0, 0.5, 1.0]),
    )
    def webhook_weather_changes(self, duplicate_rate: float, reorder_window_ms: int, drop_rate: float) -> None:
        """From now on the provider delivers each webhook twice, out of order, or never (at these rates)."""
        self.world.sim.configure_webhooks(
            duplicate_rate=duplicate_rate, reorder_window_ms=reorder_window_ms, drop_rate=drop_rate
        )

    @rule(
        what=st.sampled_from(
            [
                "webhooks and jobs",
                "webhooks",
                "jobs",
                "webhooks, and their events only",
                "abandoned checkouts",
                "captures that died",
            ]
        )
    )
    def time_passes(self, what: str) -> None:
        """The provider delivers its pending webhooks, or the worker runs its due jobs, or both (in that order),
        or the worker processes the delivered events and nothing else (a capture they queue waits); or the locks
        of checkouts whose process died run out and the completer finishes them; or the capture sweep queues a
        capture for every authorized order whose capture job is gone, and the worker runs them."""
        if "webhooks" in what:
            self.world.sim.flush_webhooks()
        if what == "webhooks, and their events only":
            self.world.events_worker.drain()
        elif "jobs" in what:
            self.world.worker.drain()
        if what == "abandoned checkouts":
            complete_abandoned(self.world)
        if what == "captures that died":
            capture.enqueue_uncaptured(self.world.context)
            self.world.worker.drain()

    @rule(data=st.data())
    def an_old_event_arrives_again(self, data: st.DataObject) -> None:
        listed = self.world.stripe.v1.events.list(params={"limit": 100}).data
        if listed:
            event = listed[data.draw(st.integers(0, len(listed) - 1), label="which")].to_dict()
            assert self.world.pipeline.deliver(event).status_code == 200

    @rule(path=st.sampled_from(["/v1/refunds", "/v1/payment_intents"]), mode=FAULTS)
    def worker_meets_a_provider_fault(self, path: str, mode: str) -> None:
        """The provider fails the worker's next refund, capture or cancel, or does it and loses the answer."""
        self.world.sim.add_fault("POST", path, mode)
        try:
            self.world.worker.drain()
        finally:
            self.world.sim.clear_faults()

    @rule(cart=carts, then=st.sampled_from(["the sweep takes it", "the sweep has not come yet"]))
    def reservation_runs_out(self, cart: CartRef, then: str) -> None:
        """The hold of the cart's order (even one its customer never heard of: the checkout died) expires; the
        expiry sweep and its jobs run (and nothing else); or the sweep has not come by yet, and the locks of
        requests whose process died have run out too (they last less long)."""
        order_id = cart.order.id if cart.order else order_of(self.world.engine, cart)
        if order_id is None:
            return
        past = utcnow() - timedelta(seconds=1)
        with self.world.engine.begin() as conn:
            conn.execute(orders.update().where(orders.c.id == order_id).values(expires_at=past))
            holds = inventory_reservations
            conn.execute(holds.update().where(holds.c.order_id == order_id).values(expires_at=past))
        if then == "the sweep takes it":
            expiry.enqueue_expired(self.world.context)
            Worker(self.world.context, handlers={expiry.EXPIRE_ORDER: expiry.expire_order}).drain()
        else:
            age_unfinished_keys(self.world.engine)

    @rule(when=st.sampled_from(["over the last hour", "ten minutes on, since a run just now"]))
    def reconciliation_runs(self, when: str = "over the last hour") -> None:
        """Over the provider's records of the last hour; or ten minutes on, since a run that just finished (so
        the provider's lists since its cursor show nothing made so far): what we recorded is past the pending
        sweep's threshold, open refunds are submitted again, stalled events are queued again."""
        since = utcnow() - timedelta(hours=1)
        if when != "over the last hour":
            age_past_reconciliation_thresholds(self.world.engine)
            since = utcnow()
        summary = reconcile(self.world.engine, self.world.provider, self.world.settings, trigger="model", since=since)
        assert summary.error is None, summary.error

    # -- Refunds --------------------------------------------------------------------------------------------

    @rule(cart=carts, share=SHARES, key=KEY_CHOICES)
    def operator_refunds(self, cart: CartRef, share: str, key: str) -> None:
        """Some or all of what is left (or more), with a new key or the last one again (maybe for another
        amount); or two operators at once, each a little more than half of what is left (both cannot succeed)."""
        order = cart.order
        if order is None:
            return
        left = refund_left(self.world.engine, order.id)
        if share == "over half, twice at once":
            body: dict[str, Any] = {"amount": left // 2 + 1, "reason": "asked twice"}
            both = [(order.refunds_path, new_key(), body) for _ in range(2)]
            self.calls.post_at_once(both, headers=self.world.admin)
            return
        amount = {"all": left, "half": left // 2, "one": 1, "too much": left + 1}[share]
        body = {"amount": max(amount, 1), "reason": "customer asked"}
        key_used = order.refund_keys[-1] if key == "again" and order.refund_keys else new_key()
        order.refund_keys.append(key_used)
        self.calls.post(order.refunds_path, key_used, body, headers=self.world.admin)

    @rule(outcome=OUTCOMES)
    def provider_settles_refunds(self, outcome: str) -> None:
        for refund in self.world.stripe.v1.refunds.list(params={"limit": 100}).auto_paging_iter():
            if refund.status == "pending":
                self.world.sim.settle_refund(refund.id, outcome)

    # -- Invariants -----------------------------------------------------------------------------------------

    @rule()
    def everything_due_happens(self) -> None:
        """Everything due happens (``model.settling``); then the exact invariants hold."""
        found = settle(self.world)
        found += invariants.settled(self.world.engine, self.world.books, self.world.stock)
        assert not found, "\n".join(found)

    @invariant()
    def money_invariants_hold(self) -> None:
        found = invariants.always(self.world.engine, self.world.books, self.world.stock)
        found += invariants.replays_returned_the_first_answer(self.world.engine, self.calls.made)
        assert not found, "\n".join(found)


def test_money_invariants_hold_on_every_random_journey(
    model_databases: Databases, sim_process: ProviderSimProcess
) -> None:
    def machine() -> CheckoutModel:
        return CheckoutModel(World(model_databases, sim_process))

    run_state_machine_as_test(machine, settings=model_settings())  # type: ignore[arg-type]  # a factory will do


@pytest.mark.parametrize("profile", ["default", "long"])
def test_the_model_runs_the_ci_budget_unless_a_profile_sets_one(profile: str) -> None:
    chosen = settings.get_current_profile_name()
    try:
        settings.load_profile(profile)
        budget = model_settings()
    finally:
        settings.load_profile(chosen)
    expected = settings.get_profile("long") if profile == "long" else settings(max_examples=MODEL_EXAMPLES)
    assert budget.max_examples == expected.max_examples
    assert budget.deadline is None


def test_a_checkout_that_died_after_creating_its_intent_leaves_no_intent_to_confirm(
    model_databases: Databases, sim_process: ProviderSimProcess
) -> None:
    """Found by the model: the request dies once the provider made the intent, before it was recorded; the order
    then ends. The intent's `created` event is the provider's word that it exists: processing it releases it."""
    state = CheckoutModel(World(model_databases, sim_process))
    try:
        state.first_customer_checks_out(
            items={"SHIRT": 1}, total=None, how="dying after the intent is created", pays_with=None, coupon=None
        )
        state.the_shop_captures(method="manual")
        state.everything_due_happens()
        state.money_invariants_hold()
    finally:
        state.teardown()
