"""What customers (and the support desk) do. Each journey returns its outcome: the order's last state the customer
saw, or why it stopped early. Random choices come from the shopper's seeded ``rng``; pauses are load shaping."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from checkout_engine.chaos import catalog, desk, steps
from checkout_engine.chaos.config import CLOCK_JUMP_SECONDS
from checkout_engine.chaos.steps import JourneyEnded, Order, Shopper

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
THREE_D_SECURE = "pm_card_authenticationRequired"
REFUND_PENDING = "pm_card_refundPending"  # its refunds stay pending for 3 simulated days
PAID = frozenset({"paid", "fulfillment_pending", "partially_fulfilled", "fulfilled"})
SETTLED = frozenset({"fulfilled", "refunded", "partially_refunded", "cancelled_with_refund", "closed"})
UNPAID_END = frozenset({"payment_failed", "expired", "cancelled"})
DONE = SETTLED | UNPAID_END
REFUNDED = frozenset({"refunded", "partially_refunded"})
CLICK_LAG_SECONDS = 0.5  # how far behind the support desk's click the customer's may come
HELD = frozenset({"paid"})  # a paid order held for review waits here: its fulfilment is not started
OWED_NOTHING = UNPAID_END | {"refunded", "cancelled_with_refund"}  # no delivery is due


def _new_order(shopper: Shopper, *, first_timeout: float | None = None) -> Order:
    cart_id, total = steps.fill_cart(shopper)
    return steps.checkout(shopper, cart_id, total, first_timeout=first_timeout)


def _pay_and_watch(shopper: Shopper, order: Order, method: str = VISA) -> str:
    return _watch(shopper, order, steps.pay(shopper, order, method))


def _watch(shopper: Shopper, order: Order, *confirmed: str | None) -> str:
    """The order's state once it is over: settled when the provider said one of its payments succeeded (the order
    may still show a decline or a cancellation seen before), else any end."""
    return steps.wait_for(shopper, order, SETTLED if "succeeded" in confirmed else DONE)


def pay(shopper: Shopper) -> str:
    return _pay_and_watch(shopper, _new_order(shopper))


def decline(shopper: Shopper) -> str:
    """Declined; then gives up, tries another card on the same payment, or opens a new payment attempt."""
    order = _new_order(shopper)
    steps.pay(shopper, order, DECLINED)
    choice = shopper.rng.random()
    if choice < 0.35:
        return "declined:" + steps.wait_for(shopper, order, UNPAID_END)
    if choice < 0.65:
        return _pay_and_watch(shopper, order)
    retry = _retry_attempt(shopper, order)
    return _pay_and_watch(shopper, retry) if isinstance(retry, Order) else retry


def _retry_attempt(shopper: Shopper, order: Order) -> Order | str:
    """A new payment attempt once the decline has landed, or the outcome when the order takes none."""
    state = steps.wait_for(shopper, order, UNPAID_END)
    retry = steps.new_attempt(shopper, order) if state in ("payment_failed", "expired") else None
    return retry or f"declined:{state}"


def two_tabs(shopper: Shopper) -> str:
    """Declined, then a new payment attempt in one browser tab while the old payment is confirmed again in another:
    after the new attempt was made (and, or not yet, paid), or while it is being made. Making it cancels the old
    intent, so the old tab is refused (``payment_intent_unexpected_state``) unless it got there first, when the
    new attempt is refused (the order took a payment). Either way one payment is kept; the outcome names what the
    old tab saw."""
    order = _new_order(shopper)
    steps.pay(shopper, order, DECLINED)
    state = steps.wait_for(shopper, order, UNPAID_END)
    if state not in ("payment_failed", "expired"):
        return f"declined:{state}"
    when = shopper.rng.choice(("after_new_paid", "before_new_paid", "during_new_attempt"))
    if when == "during_new_attempt":
        with ThreadPoolExecutor(1) as other_tab:
            old_tab = other_tab.submit(steps.pay, shopper, order, VISA)
            retry = steps.new_attempt(shopper, order)
            old = old_tab.result()
        new = steps.pay(shopper, retry, VISA) if retry is not None else None
    else:
        retry = steps.new_attempt(shopper, order)
        new = steps.pay(shopper, retry, VISA) if retry is not None and when == "after_new_paid" else None
        old = steps.pay(shopper, order, VISA)
        if retry is not None and when == "before_new_paid":
            new = steps.pay(shopper, retry, VISA)
    refused = "" if retry is not None else ":new_attempt_refused"
    return f"{when}:old_tab_{old or 'no_answer'}{refused}:" + _watch(shopper, order, old, new)


def coupon_decline(shopper: Shopper) -> str:
    """A coupon of one or two redemptions on the cart (at full price when it is used up); declined; then, once the
    decline has landed or at once, the same payment confirmed again with a good card, as Stripe allows. The
    declined order holds its redemption meanwhile, so customers racing for the coupon never redeem it beyond its
    limit (``coupons_within_limits``), and the order that pays spends it (``coupons_spent_by_paid_orders``)."""
    order, priced = steps.checkout_with_coupon(shopper, shopper.rng.choice(tuple(catalog.SCARCE_COUPONS)))
    steps.pay(shopper, order, DECLINED)
    if shopper.rng.random() < 0.7:
        steps.wait_for(shopper, order, UNPAID_END)
    again = steps.pay(shopper, order, VISA)
    return f"{priced}:again_{again or 'no_answer'}:" + _watch(shopper, order, again)


def three_d_secure(shopper: Shopper) -> str:
    order = _new_order(shopper)
    steps.pay(shopper, order, THREE_D_SECURE)
    time.sleep(shopper.rng.uniform(0.1, 1.0))  # the customer in their bank's app
    outcome = "succeed" if shopper.rng.random() < 0.7 else "fail"
    shopper.sim.authenticate(order.intent_id, outcome)
    return f"3ds_{outcome}:" + steps.wait_for(shopper, order, DONE)


def delayed(shopper: Shopper) -> str:
    """A payment that stays ``processing`` until it settles on its own, or at once by hand (racing the other)."""
    order = _new_order(shopper)
    method = "pm_delayed_succeeds" if shopper.rng.random() < 0.7 else "pm_delayed_fails"
    steps.pay(shopper, order, method)
    if shopper.rng.random() < 0.3:
        shopper.sim.settle(order.intent_id)
    return f"{method.removeprefix('pm_delayed_')}:" + steps.wait_for(shopper, order, DONE)


def abandon(shopper: Shopper) -> str:
    """Checks out and never pays: the reservation must expire and the stock come back."""
    _new_order(shopper)
    return "abandoned"


def double_click(shopper: Shopper) -> str:
    """Two checkouts with the same key at once; the answer book compares them."""
    cart_id, total = steps.fill_cart(shopper)
    call = steps.checkout_call(cart_id, total, f"double-{cart_id}")
    with ThreadPoolExecutor(2) as clicks:
        first, second = clicks.map(lambda _: shopper.store.idempotent(call, deadline=shopper.deadline()), range(2))
    if (first.status, first.body) != (second.status, second.body):
        return "double_click_answers_differ"
    return _pay_and_watch(shopper, steps.order_from(first))


def retry(shopper: Shopper) -> str:
    """The first checkout's answer is lost (client timeout); the same key again, and once more after that."""
    cart_id, total = steps.fill_cart(shopper)
    call = steps.checkout_call(cart_id, total, f"retry-{cart_id}")
    answer = shopper.store.idempotent(call, deadline=shopper.deadline(), first_timeout=shopper.rng.uniform(0.01, 0.3))
    shopper.store.idempotent(call, deadline=shopper.deadline())
    return _pay_and_watch(shopper, steps.order_from(answer))


def refund(shopper: Shopper) -> str:
    """A paid order refunded by support: in full or in part, sometimes sent twice with one key, sometimes followed
    by a second partial refund of the rest."""
    order = _new_order(shopper)
    state = _pay_and_watch(shopper, order)
    if state != "fulfilled":
        return f"not_refunded:{state}"
    rng = shopper.rng
    amount = order.total if rng.random() < 0.4 or order.total < 2 else rng.randint(1, order.total - 1)
    first = steps.refund(shopper, order, amount, key=f"refund-{order.id}-1")
    if rng.random() < 0.5:
        steps.refund(shopper, order, amount, key=f"refund-{order.id}-1")
    if first.status == 201 and amount < order.total and rng.random() < 0.3:
        steps.refund(shopper, order, order.total - amount, key=f"refund-{order.id}-2")
    return "refund:" + steps.wait_for(shopper, order, frozenset({"refunded", "partially_refunded"}))


def refund_pending(shopper: Shopper) -> str:
    """Paid with a card whose refunds stay pending for days, refunded by support, then paid out by the bank. At most
    twice a run the refund's first answer is lost and a day passes at the provider before its job asks again: the
    provider has forgotten the job's idempotency key by then, yet must still hold one refund for the record
    (``refunds_one_to_one``); and support has reconciliation look at the open refund."""
    order = _new_order(shopper)
    amount = order.total if shopper.rng.random() < 0.5 or order.total < 2 else shopper.rng.randint(1, order.total - 1)
    state = _pay_and_watch(shopper, order, REFUND_PENDING)
    if state != "fulfilled":
        return f"not_refunded:{state}"
    jump = shopper.clock.take()
    if jump:
        shopper.sim.add_fault(method="POST", path="/v1/refunds", mode="timeout_after_commit", count=1)
    answer = steps.refund(shopper, order, amount, key=f"refund-{order.id}-1")
    if answer.status != 201:
        return f"refund_{answer.code or answer.status}"
    refund_id = str(answer.body["id"])
    label = "same_day"
    if jump:  # once its first try is over: a job that waits to try again does so after the day has passed
        tried = desk.wait_for_refund_job(shopper, refund_id, desk.TRIED)
        shopper.sim.advance_clock(CLOCK_JUMP_SECONDS)
        desk.wait_for_refund_job(shopper, refund_id, desk.FINISHED)
        label = f"day_later_job_{tried}:reconcile_{desk.reconcile(shopper)}"
    held = desk.provider_refund_id(shopper, order, refund_id)
    paid_out = held is not None and shopper.sim.settle_refund(held)
    return f"{label}:{'' if paid_out else 'not_paid_out:'}" + steps.wait_for(shopper, order, REFUNDED)


def review_refund(shopper: Shopper) -> str:
    """Held for review right after checkout, paid, given a partial refund while held, then cleared: the order is
    still delivered (``kept_orders_fulfilled``); a partial refund does not cancel the delivery."""
    order = _new_order(shopper)
    amount = shopper.rng.randint(1, order.total - 1) if order.total >= 2 else None
    marked = desk.act(shopper, order, "mark_for_review")
    steps.pay(shopper, order, VISA)
    state = steps.wait_for(shopper, order, HELD | DONE)
    refunded = "none"
    if state in HELD and amount is not None:
        answer = steps.refund(shopper, order, amount, key=f"refund-{order.id}-goodwill")
        refunded = steps.wait_for(shopper, order, REFUNDED) if answer.status == 201 else str(answer.code)
    cleared = desk.act(shopper, order, "clear_review")
    view = steps.watch(
        shopper, order, lambda seen: seen["fulfillment_status"] == "fulfilled" or seen["state"] in OWED_NOTHING
    )
    held = "held" if marked == "done" else f"not_held_{marked}"
    cleared = "cleared" if cleared == "done" else f"clear_{cleared}"
    return f"{held}:refund_{refunded}:{cleared}:{view['state']}/{view['fulfillment_status']}"


def cancel_race(shopper: Shopper) -> str:
    """Support cancels an order while its customer pays for it, at the same moment. Either may win; the loser is
    undone (the intent voided, or the cancel refused, or a payment that landed after all kept or refunded) and
    the order ends settled either way."""
    order = _new_order(shopper)
    method = VISA if shopper.rng.random() < 0.7 else "pm_delayed_succeeds"
    lag = shopper.rng.uniform(0.0, CLICK_LAG_SECONDS)  # load shaping: whose click lands first varies

    def customer_pays() -> str | None:
        time.sleep(lag)
        return steps.pay(shopper, order, method)

    with ThreadPoolExecutor(1) as customer:
        paying = customer.submit(customer_pays)
        cancelled = desk.act(shopper, order, "cancel")
        paid = paying.result()
    return f"cancel_{cancelled}:pay_{paid or 'no_answer'}:" + _watch(shopper, order, paid)


Journey = Callable[[Shopper], str]
JOURNEYS: dict[str, tuple[Journey, int]] = {  # kind: (journey, weight)
    "pay": (pay, 3),
    "decline": (decline, 2),
    "two_tabs": (two_tabs, 1),
    "3ds": (three_d_secure, 2),
    "delayed": (delayed, 2),
    "abandon": (abandon, 1),
    "double_click": (double_click, 2),
    "retry": (retry, 2),
    "refund": (refund, 2),
    "coupon_decline": (coupon_decline, 1),
    "refund_pending": (refund_pending, 1),
    "review_refund": (review_refund, 1),
    "cancel_race": (cancel_race, 1),
}


def run_one(kind: str, shopper: Shopper) -> str:
    journey, _ = JOURNEYS[kind]
    try:
        return journey(shopper)
    except JourneyEnded as ended:
        return ended.outcome
