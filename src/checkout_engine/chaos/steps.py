"""The steps journeys are made of: fill a cart, check out, pay at the provider, watch the order, refund."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checkout_engine.chaos import catalog
from checkout_engine.chaos.answers import Answer
from checkout_engine.chaos.simulator import ClockBudget, SimControl
from checkout_engine.chaos.storefront import Browser, IdempotentCall, Storefront

POLL_SECONDS = 0.3
WAIT_SECONDS = 20.0  # how long a customer watches an order before walking away


class JourneyEnded(Exception):
    """The journey cannot go on (sold out, checkout refused); ``outcome`` says why."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


@dataclass
class Shopper:
    """One customer thread's tools. Waits end at ``hard_stop`` (a monotonic time) whatever they wait for, so the
    run's tail stays bounded. ``clock`` is the run's budget of jumps of the simulator's clock, shared by every
    customer (one of its own, empty, when none is given)."""

    name: str
    store: Storefront
    browser: Browser
    sim: SimControl
    admin_key: str
    rng: random.Random
    hard_stop: float
    journeys: int = 0
    clock: ClockBudget = field(default_factory=lambda: ClockBudget(0))

    def deadline(self, seconds: float = WAIT_SECONDS) -> float:
        return min(time.monotonic() + seconds, self.hard_stop)


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    token: str
    intent_id: str
    client_secret: str
    total: int


def _choose_lines(rng: random.Random) -> list[tuple[catalog.Product, int]]:
    lines = []
    if rng.random() < 0.45:  # hot SKUs in almost half the carts: the last units are fought over
        lines.append((rng.choice(catalog.HOT), 1))
    extra = rng.choice((*catalog.PLENTY, catalog.DIGITAL))
    if not lines or rng.random() < 0.5:
        lines.append((extra, 1 if extra.stock is None else rng.randint(1, 2)))
    return lines


def fill_cart(shopper: Shopper, *, coupon: str | None = None) -> tuple[str, int]:
    """A cart ready to check out, with ``coupon`` on it if one is given; returns its id and quoted total. Sold-out
    lines are left out."""
    store, rng = shopper.store, shopper.rng
    shopper.journeys += 1
    identity = {"customer_id": shopper.name, "email": f"{shopper.name}-{shopper.journeys}@chaos.test"}
    cart = store.json("POST", "/v1/carts", json={"currency": catalog.CURRENCY, "country": catalog.COUNTRY, **identity})
    physical = False
    for product, quantity in _choose_lines(rng):
        response = store.send("PUT", f"/v1/carts/{cart['id']}/items/{product.sku}", json={"quantity": quantity})
        if response.status_code == 200:
            physical = physical or product.kind == "physical"
        elif response.status_code not in (409, 422):
            response.raise_for_status()
    if physical:
        shipping = {"address": catalog.ADDRESS, "method": catalog.SHIPPING_METHOD}
        store.json("PUT", f"/v1/carts/{cart['id']}/shipping", json=shipping)
    total = _quoted_total(store, str(cart["id"]))
    if coupon is None:
        return str(cart["id"]), total
    store.json("PUT", f"/v1/carts/{cart['id']}/coupon", json={"code": coupon})
    return str(cart["id"]), _quoted_total(store, str(cart["id"]))


def _quoted_total(store: Storefront, cart_id: str) -> int:
    quote = store.json("GET", f"/v1/carts/{cart_id}")["quote"]
    if not quote["lines"]:
        raise JourneyEnded("sold_out")
    return int(quote["total"])


def checkout_call(cart_id: str, total: int, key: str) -> IdempotentCall:
    return IdempotentCall(f"/v1/carts/{cart_id}/checkout", f"cart:{cart_id}", key, {"expected_total": total})


def order_from(answer: Answer) -> Order:
    if answer.status != 201:
        raise JourneyEnded(f"checkout_{answer.code or answer.status}")
    body: dict[str, Any] = answer.body
    payment = body["payment"]
    return Order(
        body["order_id"], body["order_token"], payment["provider_payment_id"], payment["client_secret"], body["total"]
    )


def checkout(shopper: Shopper, cart_id: str, total: int, *, first_timeout: float | None = None) -> Order:
    call = checkout_call(cart_id, total, f"checkout-{cart_id}")
    return order_from(shopper.store.idempotent(call, deadline=shopper.deadline(), first_timeout=first_timeout))


def checkout_with_coupon(shopper: Shopper, code: str) -> tuple[Order, str]:
    """Checks out with a coupon of few redemptions and, when it turns out used up (409 ``coupon_unavailable`` at
    checkout), without it at full price, as a customer would; the order, and ``coupon`` or ``full_price``."""
    cart_id, total = fill_cart(shopper, coupon=code)
    answer = shopper.store.idempotent(checkout_call(cart_id, total, f"checkout-{cart_id}"), deadline=shopper.deadline())
    if answer.code != "coupon_unavailable":
        return order_from(answer), "coupon"
    shopper.store.send("DELETE", f"/v1/carts/{cart_id}/coupon").raise_for_status()
    call = checkout_call(cart_id, _quoted_total(shopper.store, cart_id), f"checkout-{cart_id}-full-price")
    return order_from(shopper.store.idempotent(call, deadline=shopper.deadline())), "full_price"


def new_attempt(shopper: Shopper, order: Order) -> Order | None:
    """A new payment attempt for a failed or expired order; None when the order takes none (it moved on)."""
    call = IdempotentCall(
        f"/v1/orders/{order.id}/payment-attempts",
        f"order:{order.id}",
        f"attempt-{order.id}",
        {},
        {"X-Order-Token": order.token},
    )
    answer = shopper.store.idempotent(call, deadline=shopper.deadline())
    if answer.status != 201:
        return None
    payment = answer.body["payment"]
    return Order(order.id, order.token, payment["provider_payment_id"], payment["client_secret"], order.total)


def pay(shopper: Shopper, order: Order, method: str) -> str | None:
    return shopper.browser.confirm(order.intent_id, client_secret=order.client_secret, payment_method=method)


def view_of(shopper: Shopper, order: Order) -> dict[str, Any]:
    """The customer's view of the order: its state, payment, ``fulfillment_status`` and ``refund`` summary."""
    view: dict[str, Any] = shopper.store.json("GET", f"/v1/orders/{order.id}", headers={"X-Order-Token": order.token})
    return view


def state_of(shopper: Shopper, order: Order) -> str:
    return str(view_of(shopper, order)["state"])


def watch(
    shopper: Shopper, order: Order, done: Callable[[dict[str, Any]], bool], seconds: float = WAIT_SECONDS
) -> dict[str, Any]:
    """Watch the order until ``done`` holds for its view or the customer's patience ends; the last view."""
    deadline = shopper.deadline(seconds)
    view = view_of(shopper, order)
    while not done(view) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        view = view_of(shopper, order)
    return view


def wait_for(shopper: Shopper, order: Order, states: frozenset[str], seconds: float = WAIT_SECONDS) -> str:
    """Watch the order until it reaches one of ``states`` or the customer's patience ends; its last state."""
    return str(watch(shopper, order, lambda view: view["state"] in states, seconds)["state"])


def refund(shopper: Shopper, order: Order, amount: int, *, key: str) -> Answer:
    """The support desk refunds through the admin API (keys are scoped to the API key, hence one scope)."""
    body = {"amount": amount, "reason": "chaos: customer asked for money back"}
    auth = {"Authorization": f"Bearer {shopper.admin_key}"}
    call = IdempotentCall(f"/admin/v1/orders/{order.id}/refunds", "admin", key, body, auth)
    return shopper.store.idempotent(call, deadline=shopper.deadline())
