"""A property-based model of checkout: Hypothesis drives random journeys through the real product (the API
in-process and over HTTP, the worker, reconciliation, expiry) on PostgreSQL against the simulator process —
carts, checkouts with reused and concurrent idempotency keys, every test payment method, webhooks delivered late,
twice, out of order or never, expiries, refunds (partial, full, concurrent), provider faults and processes dying
mid-checkout — and checks the money invariants (``model.invariants``: the ones the chaos run checks too) against the
database and the provider's own records after every step, exactly so after a step that lets everything due happen
(``model.settling``).

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
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from checkout_engine.checkout import service
from checkout_engine.checkout.intent_phase import INTENT_CREATED
from checkout_engine.checkout.model import ORDER_CREATED
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import inventory_reservations, orders
from checkout_engine.jobs.worker import Worker
from checkout_engine.orders import expiry
from checkout_engine.payments.model import ProviderError
from checkout_engine.reconciliation.service import reconcile
from model import invariants
from model.calls import Calls
from model.journeys import CartRef, OrderRef, cart_with, new_key, refund_left
from model.settling import complete_abandoned, settle
from model.strategies import (
    FAULTS,
    HOW,
    ITEMS,
    KEY_CHOICES,
    OUTCOMES,
    PAY_NOW,
    PAYMENT_METHODS,
    SHARES,
    TABS,
    TOTALS,
)
from model.world import Databases, World
from support.crash import DieAt, ProcessDied
from support.provider_sim_process import ProviderSimProcess, SimControlError

MODEL_EXAMPLES = 10
MODEL_STEPS = 20
# Few carts per example, so that its steps pile up on the same orders (and carts compete for the little stock).
MAX_CARTS = 3


def model_settings() -> settings:
    """The CI budget, unless the chosen profile sets a budget of its own (``long``, or any a developer makes)."""
    chosen, untouched = settings.default, settings.get_profile("default")
    budget = {}
    if (chosen.max_examples, chosen.stateful_step_count) == (untouched.max_examples, untouched.stateful_step_count):
        budget = {"max_examples": MODEL_EXAMPLES, "stateful_step_count": MODEL_STEPS}
    return settings(chosen, deadline=None, suppress_health_check=[HealthCheck.too_slow], **budget)


room_for_a_cart = precondition(lambda self: self.cart_count < MAX_CARTS)


class CheckoutModel(RuleBasedStateMachine):
    carts = Bundle("carts")  # every cart a customer checked out, with the order it got (if the API said so)

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.calls = Calls(world)
        self.known: dict[str, OrderRef] = {}
        self.awaiting_action: list[str] = []  # intents in requires_action, in the order they got there
        self.processing: list[str] = []
        self.cart_count = 0

    def teardown(self) -> None:
        try:
            if sys.exc_info()[1] is None:  # no step failed: the example must also end settled and exact
                self.everything_due_happens()
        finally:
            self.world.close()

    # -- Checkout -------------------------------------------------------------------------------------------

    def _new_cart(self, items: dict[str, int]) -> CartRef:
        self.cart_count += 1
        return cart_with(self.world.client, items)

    def _learn(self, cart: CartRef, *answers: httpx.Response) -> None:
        for answer in answers:
            if answer.status_code == 201:
                body = answer.json()
                cart.order = self.known.setdefault(body["order_id"], OrderRef(body["order_id"], body["order_token"]))
                cart.order.saw_payment(body)

    def _check_out(self, items: dict[str, int], total: Any, how: str, pays_with: str | None) -> CartRef:
        cart = self._new_cart(items)
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
        else:
            self._die_during_checkout(cart, key, body, ORDER_CREATED if "order" in how else INTENT_CREATED)
        if pays_with and cart.order and cart.order.intents:
            self._pay(cart.order.intents[-1], pays_with)
        return cart

    def _die_during_checkout(self, cart: CartRef, key: str, body: dict[str, int] | None, point: str) -> None:
        """The process is killed at a recovery point: after the order is written, or after the intent exists."""
        world, expected = self.world, (body or {}).get("expected_total")
        try:
            outcome = service.checkout(
                world.engine,
                world.provider,
                world.settings,
                cart_id=cart.id,
                key=key,
                expected_total=expected,
                hooks=DieAt(point),
            )
        except ProcessDied:
            self.calls.died(cart.checkout_path, key, body)
        else:
            self.calls.answered(cart.checkout_path, key, body, outcome)

    @initialize(target=carts, items=ITEMS, total=TOTALS, how=HOW, pays_with=PAY_NOW)
    def first_customer_checks_out(self, items: dict[str, int], total: Any, how: str, pays_with: str | None) -> Any:
        return self._check_out(items, total, how, pays_with)

    @room_for_a_cart
    @rule(target=carts, items=ITEMS, total=TOTALS, how=HOW, pays_with=PAY_NOW)
    def customer_checks_out(self, items: dict[str, int], total: Any, how: str, pays_with: str | None) -> Any:
        """A new cart, checked out with no expected total, the right one or a stale one: once, from three tabs at
        once with one key, through a provider fault (maybe retried with the key), or with the process dying
        half-way; then paid at once, or not yet."""
        return self._check_out(items, total, how, pays_with)

    @rule(cart=carts, key=KEY_CHOICES, total=TOTALS)
    def customer_checks_out_again(self, cart: CartRef, key: str, total: Any) -> None:
        """The same cart again (a reload, the back button): with its last key, or a new one."""
        key_used = cart.keys[-1] if key == "again" else cart.new_key()
        body = None if total is None else {"expected_total": cart.total if total == "right" else total}
        self._learn(cart, self.calls.post(cart.checkout_path, key_used, body))

    # -- Paying ---------------------------------------------------------------------------------------------

    def _pay(self, intent: str, method: str) -> None:
        try:
            payment = self.world.provider.confirm(intent, payment_method=method)
        except ProviderError:  # declined, or the intent can no longer be confirmed
            return
        if payment.raw_status == "requires_action":
            self.awaiting_action.append(intent)
        elif payment.raw_status == "processing":
            self.processing.append(intent)

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

    @rule(cart=carts, key=KEY_CHOICES, pays_with=PAY_NOW)
    def customer_retries_payment(self, cart: CartRef, key: str, pays_with: str | None) -> None:
        """A new payment attempt (for a failed or expired order), with a new key or the last one again; paying
        at once, or not yet."""
        order = cart.order
        if order is None:
            return
        key_used = order.attempt_keys[-1] if key == "again" and order.attempt_keys else new_key()
        order.attempt_keys.append(key_used)
        answer = self.calls.post(order.attempts_path, key_used, headers={"X-Order-Token": order.token})
        if answer.status_code == 201:
            order.saw_payment(answer.json())
            if pays_with:
                self._pay(answer.json()["payment"]["provider_payment_id"], pays_with)

    @rule(cart=carts)
    def operator_cancels(self, cart: CartRef) -> None:
        if cart.order:
            path = f"/admin/v1/orders/{cart.order.id}/actions/cancel"
            answer = self.world.client.post(path, json={"reason": "model"}, headers=self.world.admin)
            assert answer.status_code in (200, 409), answer.text

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

    @rule(what=st.sampled_from(["webhooks and jobs", "webhooks", "jobs", "abandoned checkouts"]))
    def time_passes(self, what: str) -> None:
        """The provider delivers its pending webhooks, or the worker runs its due jobs, or both (in that order);
        or the locks of checkouts whose process died run out and the completer finishes them."""
        if "webhooks" in what:
            self.world.sim.flush_webhooks()
        if "jobs" in what:
            self.world.worker.drain()
        if what == "abandoned checkouts":
            complete_abandoned(self.world)

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

    @rule(cart=carts)
    def reservation_runs_out(self, cart: CartRef) -> None:
        """The order's hold expires; the expiry sweep and its jobs run (and nothing else)."""
        if cart.order is None:
            return
        past = utcnow() - timedelta(seconds=1)
        with self.world.engine.begin() as conn:
            conn.execute(orders.update().where(orders.c.id == cart.order.id).values(expires_at=past))
            holds = inventory_reservations
            conn.execute(holds.update().where(holds.c.order_id == cart.order.id).values(expires_at=past))
        expiry.enqueue_expired(self.world.context)
        Worker(self.world.context, handlers={expiry.EXPIRE_ORDER: expiry.expire_order}).drain()

    @rule()
    def reconciliation_runs(self) -> None:
        since = utcnow() - timedelta(hours=1)
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
            body = {"amount": left // 2 + 1, "reason": "asked twice"}
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
    run_state_machine_as_test(lambda: CheckoutModel(World(model_databases, sim_process)), settings=model_settings())


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
