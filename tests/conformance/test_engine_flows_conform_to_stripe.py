"""Stripe conformance of the engine's own flows: each test drives one flow through the whole product (checkout,
the adapter, webhooks, the worker, reconciliation) against a simulator process with its journal on, then holds every
exchange of the flow to Stripe's published API (answers against the response schemas, the adapter's parameters
against the documented ones) and fails listing every mismatch."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.payments.model import ProviderError
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation.service import reconcile
from checkout_engine.settings import Settings
from conformance.journal_window import JournalWindow
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline

Place = Callable[..., dict[str, Any]]
Refund = Callable[..., dict[str, Any]]
StateOf = Callable[[str], str]
manual_capture = pytest.mark.parametrize("capture_method", ["manual"])


def intent_of(order: dict[str, Any]) -> str:
    return str(order["payment"]["provider_payment_id"])


def refund_order(refund: Refund, order_id: str, amount: int) -> None:
    refund(order_id, amount, key=f"refund-{uuid.uuid4().hex}", reason="customer asked")


def refund_status_at_provider(wired: Pipeline, intent: str) -> str | None:
    refunds = wired.sim.stripe_client().v1.refunds.list(params={"payment_intent": intent}).data
    return str(refunds[0].status) if refunds else None


def test_a_checkout_paid_by_card_conforms(fulfilled: Place, journal: JournalWindow) -> None:
    fulfilled()
    journal.assert_conforms()


def test_a_declined_payment_retried_on_the_same_intent_conforms(
    place: Place, provider: PaymentProvider, wired: Pipeline, state_of: StateOf, journal: JournalWindow
) -> None:
    order = place()
    with contextlib.suppress(ProviderError):
        provider.confirm(intent_of(order), payment_method="pm_card_chargeDeclined")
    wired.until(lambda: state_of(order["order_id"]) == "payment_failed", what="the decline")
    provider.confirm(intent_of(order), payment_method="pm_card_visa")
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the retried payment")
    journal.assert_conforms()


def test_a_payment_with_3d_secure_conforms(
    place: Place, provider: PaymentProvider, wired: Pipeline, state_of: StateOf, journal: JournalWindow
) -> None:
    order = place()
    provider.confirm(intent_of(order), payment_method="pm_card_threeDSecure2Required")
    wired.sim.authenticate(intent_of(order))
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the authenticated payment")
    journal.assert_conforms()


def test_a_delayed_payment_processing_then_settled_conforms(
    place: Place, provider: PaymentProvider, wired: Pipeline, state_of: StateOf, journal: JournalWindow
) -> None:
    order = place()
    provider.confirm(intent_of(order), payment_method="pm_delayed_succeeds")
    wired.sim.settle(intent_of(order))
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the settled payment")
    journal.assert_conforms()


@manual_capture
def test_a_manual_capture_in_full_by_the_engine_conforms(fulfilled: Place, journal: JournalWindow) -> None:
    fulfilled()
    journal.assert_conforms()


@manual_capture
def test_a_partial_capture_and_its_replay_conform(
    place: Place, provider: PaymentProvider, wired: Pipeline, journal: JournalWindow
) -> None:
    order = place()
    provider.confirm(intent_of(order), payment_method="pm_card_visa")
    key = f"capture-{uuid.uuid4().hex}"
    first = provider.capture(intent_of(order), amount=order["total"] - 100, idempotency_key=key)
    again = provider.capture(intent_of(order), amount=order["total"] - 100, idempotency_key=key)
    assert again == first  # the stored answer, replayed
    wired.pump()
    journal.assert_conforms()


@manual_capture
def test_a_capture_refused_as_too_early_conforms(
    place: Place, provider: PaymentProvider, wired: Pipeline, journal: JournalWindow
) -> None:
    order = place()
    with pytest.raises(ProviderError):  # nothing is authorised yet
        provider.capture(intent_of(order), amount=None, idempotency_key=f"early-{uuid.uuid4().hex}")
    wired.pump()
    journal.assert_conforms()


@manual_capture
def test_cancelling_an_authorisation_conforms(
    place: Place, provider: PaymentProvider, wired: Pipeline, journal: JournalWindow
) -> None:
    order = place()
    provider.confirm(intent_of(order), payment_method="pm_card_visa")
    provider.cancel(intent_of(order), idempotency_key=f"void-{uuid.uuid4().hex}")
    wired.pump()
    journal.assert_conforms()


def test_cancelling_an_unpaid_order_voids_its_intent_and_conforms(
    place: Place, shop: TestClient, admin_headers: dict[str, str], wired: Pipeline, journal: JournalWindow
) -> None:
    order = place()
    cancel = f"/admin/v1/orders/{order['order_id']}/actions/cancel"
    response = shop.post(cancel, json={"reason": "fraud suspected"}, headers=admin_headers)
    assert response.status_code == 200, response.text
    wired.until(
        lambda: wired.sim.stripe_client().v1.payment_intents.retrieve(intent_of(order)).status == "canceled",
        what="the void",
    )
    journal.assert_conforms()


def test_a_partial_then_a_full_refund_conform(
    fulfilled: Place,
    refund: Refund,
    wired: Pipeline,
    state_of: StateOf,
    journal: JournalWindow,
) -> None:
    order = fulfilled()
    refund_order(refund, order["order_id"], 1000)
    wired.until(lambda: state_of(order["order_id"]) == "partially_refunded", what="the partial refund")
    refund_order(refund, order["order_id"], order["total"] - 1000)
    wired.until(lambda: state_of(order["order_id"]) == "refunded", what="the full refund")
    journal.assert_conforms()


def test_a_refund_pending_at_the_provider_then_settled_conforms(
    fulfilled: Place,
    refund: Refund,
    wired: Pipeline,
    state_of: StateOf,
    journal: JournalWindow,
) -> None:
    order = fulfilled(payment_method="pm_card_refundPending")
    refund_order(refund, order["order_id"], order["total"])
    wired.until(lambda: refund_status_at_provider(wired, intent_of(order)) == "pending", what="the pending refund")
    wired.pump()
    [pending] = wired.sim.stripe_client().v1.refunds.list(params={"payment_intent": intent_of(order)}).data
    wired.sim.settle_refund(pending.id)
    wired.until(lambda: state_of(order["order_id"]) == "refunded", what="the settled refund")
    journal.assert_conforms()


def test_a_refund_that_fails_at_the_provider_conforms(
    fulfilled: Place,
    refund: Refund,
    wired: Pipeline,
    journal: JournalWindow,
) -> None:
    order = fulfilled(payment_method="pm_card_refundFail")
    refund_order(refund, order["order_id"], order["total"])
    wired.until(lambda: refund_status_at_provider(wired, intent_of(order)) == "failed", what="the failed refund")
    wired.pump()
    journal.assert_conforms()


def test_a_dispute_conforms(fulfilled: Place, wired: Pipeline, journal: JournalWindow) -> None:
    order = fulfilled()
    wired.sim.open_dispute(intent_of(order))
    wired.pump()
    journal.assert_conforms()


def test_a_reconciliation_run_listing_intents_refunds_and_events_conforms(
    fulfilled: Place,
    refund: Refund,
    engine: Engine,
    provider: PaymentProvider,
    settings: Settings,
    wired: Pipeline,
    state_of: StateOf,
    journal: JournalWindow,
) -> None:
    order = fulfilled()
    refund_order(refund, order["order_id"], 1000)
    wired.until(lambda: state_of(order["order_id"]) == "partially_refunded", what="the refund")
    reconcile(engine, provider, settings, trigger="test", since=utcnow() - timedelta(hours=1))
    journal.assert_conforms()


def test_a_checkout_replayed_under_its_key_and_a_replayed_refund_conform(
    shop: TestClient, provider: PaymentProvider, wired: Pipeline, state_of: StateOf, journal: JournalWindow
) -> None:
    cart_id = ready_cart(shop)
    key = f"checkout-{uuid.uuid4().hex}"
    order = checkout(shop, cart_id, key).json()
    assert checkout(shop, cart_id, key).json()["order_id"] == order["order_id"]
    provider.confirm(intent_of(order), payment_method="pm_card_visa")
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="the payment")
    refund_key = f"refund-{uuid.uuid4().hex}"
    first = provider.refund(intent_of(order), amount=500, idempotency_key=refund_key, metadata={"order_id": "x"})
    again = provider.refund(intent_of(order), amount=500, idempotency_key=refund_key, metadata={"order_id": "x"})
    assert again.id == first.id  # replayed, not refunded twice
    journal.assert_conforms()
