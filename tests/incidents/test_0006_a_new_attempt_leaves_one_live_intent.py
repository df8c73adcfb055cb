"""Incident 0006 — 2026-12-06, found by the chaos run's two-tabs journey and a read of the reopen path.

Symptom: a customer whose card was declined asked for a new payment attempt in one tab and paid the declined
intent again in another; both charges went through and the second was refunded as a duplicate. Avoidable money
movement, a refund fee, and a customer who sees two charges.

Root cause: reopening a ``payment_failed`` order (``checkout/order_phase.py`` ``reopen_order``) never cancelled
the previous intent, which Stripe lets the customer confirm again after a decline; and recording the new intent
handed out its client secret even when the order had been paid meanwhile.

Fix: before a new attempt's intent exists, every earlier intent of the order that could still take money is
cancelled and read back (``payments.stop.stop_payment``, the one cancel-then-read step); if one of them is already
taking money the new attempt is refused (409 ``payment_in_progress``). Recording an intent for an order paid or
ended meanwhile releases it instead of handing it out.

What must hold: no order has two confirmable intents."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from checkout_engine.payments.model import PaymentDeclined, ProviderError
from checkout_engine.payments.provider import PaymentProvider
from support.checkout import intents_for
from support.pipeline import Pipeline

CONFIRMABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


def _declined(place: Callable[..., dict[str, Any]], provider: PaymentProvider, wired: Pipeline, state_of: Any) -> Any:
    order = place()
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_chargeDeclined")
    wired.until(lambda: state_of(order["order_id"]) == "payment_failed", what="the decline")
    return order


def _new_attempt(shop: TestClient, order: dict[str, Any], key: str) -> Any:
    headers = {"X-Order-Token": order["order_token"], "Idempotency-Key": key}
    return shop.post(f"/v1/orders/{order['order_id']}/payment-attempts", headers=headers)


def test_a_new_payment_attempt_cancels_the_declined_intent_the_customer_could_still_confirm(
    shop: TestClient,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> None:
    order = _declined(place, provider, wired, state_of)
    retry = _new_attempt(shop, order, "second-tab")
    assert retry.status_code == 201, retry.text

    statuses = {intent["id"]: intent["status"] for intent in intents_for(wired.sim, order["order_id"])}
    assert statuses[order["payment"]["provider_payment_id"]] == "canceled"
    assert [i for i, status in statuses.items() if status in CONFIRMABLE] == [
        retry.json()["payment"]["provider_payment_id"]
    ]
    with pytest.raises(ProviderError):  # the other tab's "Pay" on the old intent takes no money
        provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")


def test_no_new_attempt_while_the_earlier_payment_is_going_through(
    shop: TestClient,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> None:
    wired.sim.configure_settlement(payment_delay_ms=None)  # the delayed method settles only when told
    order = _declined(place, provider, wired, state_of)
    intent = order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_delayed_succeeds")  # the first tab tries again: processing

    refused = _new_attempt(shop, order, "second-tab")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "payment_in_progress"
    assert [i["id"] for i in intents_for(wired.sim, order["order_id"]) if i["status"] != "canceled"] == [intent]
    wired.sim.settle(intent, "succeed")
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the earlier payment")
