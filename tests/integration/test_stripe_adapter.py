"""The engine's Stripe adapter, through the official `stripe` library, against the simulator process."""

from datetime import UTC, datetime

import pytest

from checkout_engine.ids import new_id
from checkout_engine.payments.model import (
    IntentRequest,
    PaymentDeclined,
    PaymentStatus,
    ProviderRejected,
    ProviderUnavailable,
    RefundStatus,
    provider_idempotency_key,
)
from checkout_engine.payments.providers.stripe import StripeProvider
from support.provider_sim_process import ProviderSimProcess

SECRET = "whsec_adapter_test"


def provider(sim: ProviderSimProcess, timeout: float = 5.0) -> StripeProvider:
    return StripeProvider(
        secret_key="sk_test_engine",
        api_base=sim.url,
        webhook_secrets=[SECRET],
        webhook_tolerance_seconds=300,
        timeout_seconds=timeout,
    )


def intent_request(amount: int = 4990, *, manual: bool = False) -> IntentRequest:
    attempt = new_id("pat")
    return IntentRequest(
        amount=amount,
        currency="EUR",
        reference=attempt,
        metadata={"order_id": "ord_1"},
        idempotency_key=provider_idempotency_key("create_intent", attempt),
        manual_capture=manual,
    )


def test_an_intent_carries_our_amount_currency_and_references(sim: ProviderSimProcess) -> None:
    request = intent_request()
    payment = provider(sim).create_intent(request)
    assert (payment.status, payment.raw_status, payment.amount, payment.currency) == (
        PaymentStatus.PENDING,
        "requires_payment_method",
        4990,
        "EUR",
    )
    assert payment.metadata == {"order_id": "ord_1", "payment_attempt_id": request.reference}
    assert payment.client_secret and payment.client_secret.startswith(payment.id)


def test_creating_twice_with_one_key_returns_the_same_intent(sim: ProviderSimProcess) -> None:
    request = intent_request()
    first, second = provider(sim).create_intent(request), provider(sim).create_intent(request)
    assert first.id == second.id
    listed = sim.stripe_client().v1.payment_intents.list(params={"limit": 100}).data
    assert [intent.id for intent in listed] == [first.id]


def test_each_payment_method_ends_in_its_normalized_status(sim: ProviderSimProcess) -> None:
    adapter = provider(sim)
    paid = adapter.confirm(adapter.create_intent(intent_request()).id, payment_method="pm_card_visa")
    assert (paid.status, paid.amount_received) == (PaymentStatus.SUCCEEDED, 4990) and paid.latest_charge
    declined = adapter.create_intent(intent_request())
    with pytest.raises(PaymentDeclined) as refusal:
        adapter.confirm(declined.id, payment_method="pm_card_chargeDeclined")
    assert refusal.value.payment_id == declined.id and refusal.value.decline_code
    after = adapter.retrieve(declined.id)
    assert (after.status, after.raw_status) == (PaymentStatus.FAILED, "requires_payment_method")
    action = adapter.confirm(
        adapter.create_intent(intent_request()).id, payment_method="pm_card_authenticationRequired"
    )
    assert action.status is PaymentStatus.REQUIRES_ACTION
    sim.authenticate(action.id, "succeed")
    assert adapter.retrieve(action.id).status is PaymentStatus.SUCCEEDED
    delayed = adapter.confirm(adapter.create_intent(intent_request()).id, payment_method="pm_delayed_fails")
    assert delayed.status is PaymentStatus.PROCESSING
    sim.settle(delayed.id, "fail")
    assert adapter.retrieve(delayed.id).status is PaymentStatus.FAILED


def test_a_manual_capture_is_authorized_then_captured_or_cancelled(sim: ProviderSimProcess) -> None:
    adapter = provider(sim)
    held = adapter.confirm(adapter.create_intent(intent_request(manual=True)).id, payment_method="pm_card_visa")
    assert (held.status, held.amount_capturable) == (PaymentStatus.AUTHORIZED, 4990)
    captured = adapter.capture(held.id, amount=4000, idempotency_key=provider_idempotency_key("capture", held.id))
    assert (captured.status, captured.amount_received) == (PaymentStatus.SUCCEEDED, 4000)
    other = adapter.confirm(adapter.create_intent(intent_request(manual=True)).id, payment_method="pm_card_visa")
    cancelled = adapter.cancel(other.id, idempotency_key=provider_idempotency_key("cancel", other.id))
    assert cancelled.status is PaymentStatus.CANCELED


def test_refunds_add_up_to_at_most_what_was_received(sim: ProviderSimProcess) -> None:
    adapter = provider(sim)
    paid = adapter.confirm(adapter.create_intent(intent_request()).id, payment_method="pm_card_visa")
    part = adapter.refund(paid.id, amount=1000, idempotency_key="ce:refund:ref_1", metadata={"refund_id": "ref_1"})
    again = adapter.refund(paid.id, amount=1000, idempotency_key="ce:refund:ref_1", metadata={"refund_id": "ref_1"})
    assert part.id == again.id and part.amount == 1000 and part.payment_id == paid.id
    assert part.status in {RefundStatus.PENDING, RefundStatus.SUCCEEDED}
    rest = adapter.refund(paid.id, amount=3990, idempotency_key="ce:refund:ref_2", metadata={"refund_id": "ref_2"})
    assert adapter.retrieve_refund(rest.id).amount == 3990
    with pytest.raises(ProviderRejected):
        adapter.refund(paid.id, amount=1, idempotency_key="ce:refund:ref_3", metadata={"refund_id": "ref_3"})


def test_a_create_that_times_out_after_the_provider_did_it_is_found_not_repeated(sim: ProviderSimProcess) -> None:
    request = intent_request()
    sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit", count=1)
    payment = provider(sim, timeout=1.0).create_intent(request)
    assert payment.metadata["payment_attempt_id"] == request.reference
    listed = sim.stripe_client().v1.payment_intents.list(params={"limit": 100}).data
    assert [intent.id for intent in listed] == [payment.id]


def test_a_create_refused_with_a_server_error_is_reported_as_unavailable_and_left_undone(
    sim: ProviderSimProcess,
) -> None:
    request = intent_request()
    sim.add_fault("POST", "/v1/payment_intents", "error_500", count=1)
    adapter = provider(sim)
    with pytest.raises(ProviderUnavailable):
        adapter.create_intent(request)
    assert adapter.find_intent(request.reference, created_after=datetime.now(UTC)) is None
    assert adapter.create_intent(request).metadata["payment_attempt_id"] == request.reference


def test_events_are_listed_and_retrievable(sim: ProviderSimProcess) -> None:
    adapter = provider(sim)
    paid = adapter.confirm(adapter.create_intent(intent_request()).id, payment_method="pm_card_visa")
    page = adapter.list_events(created_after=0)
    succeeded = [event for event in page.events if event.type == "payment_intent.succeeded"]
    assert [event.object_id for event in succeeded] == [paid.id]
    assert adapter.retrieve_event(succeeded[0].id).data["data"]["object"]["status"] == "succeeded"
