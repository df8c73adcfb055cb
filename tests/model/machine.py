"""What the model's state machine holds between steps, shared by every group of its rules
(``test_checkout_model.CheckoutModel`` and the groups it is made of, ``model.staff`` and ``model.out_of_step``):
the world, the calls made, the carts in the ``carts`` bundle and their orders, the intents waiting on a customer
or a bank, the provider reads a slow worker still holds; and paying an intent, which many rules do."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis.stateful import Bundle, RuleBasedStateMachine

from checkout_engine.payments.model import ProviderError, ProviderPayment
from model.calls import Calls
from model.journeys import CartRef, OrderRef, cart_with
from model.world import World

# Few carts per example, so that its steps pile up on the same orders (and carts compete for the little stock).
MAX_CARTS = 3

carts = Bundle("carts")  # every cart a customer checked out, with the order it got (if the API said so)


class ModelState(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.calls = Calls(world)
        self.known: dict[str, OrderRef] = {}
        self.awaiting_action: list[str] = []  # intents in requires_action, in the order they got there
        self.processing: list[str] = []
        self.reads: list[ProviderPayment] = []  # intents as a worker read them, not committed yet
        self.cart_count = 0

    def _new_cart(self, items: dict[str, int], coupon: str | None) -> CartRef:
        self.cart_count += 1
        return cart_with(self.world.client, items, coupon)

    def _saw(self, cart: CartRef, status: int, answer: dict[str, Any]) -> None:
        """What a checkout's answer tells the customer: the order (if one was made) and its intent."""
        if status == 201:
            cart.order = self.known.setdefault(answer["order_id"], OrderRef(answer["order_id"], answer["order_token"]))
            cart.order.saw_payment(answer)

    def _learn(self, cart: CartRef, *answers: httpx.Response) -> None:
        for answer in answers:
            if answer.status_code == 201:
                self._saw(cart, answer.status_code, answer.json())

    def _pay(self, intent: str, method: str) -> None:
        try:
            payment = self.world.provider.confirm(intent, payment_method=method)
        except ProviderError:  # declined, or the intent can no longer be confirmed
            return
        if payment.raw_status == "requires_action":
            self.awaiting_action.append(intent)
        elif payment.raw_status == "processing":
            self.processing.append(intent)
