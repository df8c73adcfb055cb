"""Incident 0007 — 2026-12-06, found by reading the checkout's second phase against an eager webhook.

Symptom: a customer asked for a new payment attempt on a declined order and got ``checkout_expired`` although the
stock was there; the new intent was cancelled. For an ``expired`` order, the stock and coupon just held again for
the attempt stayed held for ever.

Root cause: the provider's ``payment_intent.created`` webhook of the new attempt was processed before the request
recorded the intent. Settling wrote the provider's status on the attempt although its verdict was "nothing", and
the request's compare-and-set (``status = creating``) then failed: the request took its own attempt for given up.
Nothing released holds of an order that had already ended.

Fix: an attempt counts as given up only when it is ``canceled`` (by expiry, a cancellation, a give-up), not when a
provider event recorded its status first; a give-up releases the intent through a durable void job; the expiry
sweep also takes holds of ended orders past their time.

What must hold: a valid new attempt is answered with its intent whatever the order of the provider's events, and
no stock or coupon is held by an ended order past its time."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from checkout_engine.checkout import service
from checkout_engine.checkout.intent_phase import INTENT_CREATED
from checkout_engine.payments.model import PaymentDeclined
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.checkout import intents_for
from support.pipeline import Pipeline


class EventsFirst:
    """Checkout hooks: once the intent exists at the provider, its webhooks are delivered and processed before the
    request goes on to record it."""

    def __init__(self, wired: Pipeline) -> None:
        self.wired = wired

    def reached(self, point: str) -> None:
        if point == INTENT_CREATED:
            self.wired.pump()


def test_a_new_attempt_whose_created_event_is_processed_first_is_still_answered_with_its_intent(
    engine: Engine,
    settings: Settings,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> None:
    order = place()
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_chargeDeclined")
    wired.until(lambda: state_of(order["order_id"]) == "payment_failed", what="the decline")

    outcome = service.new_payment_attempt(
        engine,
        provider,
        settings,
        order_id=order["order_id"],
        order_token=order["order_token"],
        key="retry",
        hooks=EventsFirst(wired),
    )
    assert outcome.status == 201, outcome.raw
    intent = json.loads(outcome.raw)["payment"]["provider_payment_id"]
    wired.pump()
    statuses = {i["id"]: i["status"] for i in intents_for(wired.sim, order["order_id"])}
    assert statuses[intent] == "requires_payment_method"
    assert state_of(order["order_id"]) == "payment_pending"
