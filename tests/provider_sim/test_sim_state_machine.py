"""The simulated account driven directly, without HTTP: transitions, scheduled settlement, snapshots."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from provider_sim.config import SimConfig
from provider_sim.errors import StripeApiError
from provider_sim.objects import Event, RequestInfo
from provider_sim.payment_intents import ConfirmOptions, IntentSpec
from provider_sim.refunds import RefundSpec
from provider_sim.simulator import RefundTarget, Simulator

REQUEST = RequestInfo("req_test", "key_test")


class ManualScheduler:
    """Runs scheduled callbacks only when a test says time has passed."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, Callable[[], None]]] = []

    def call_later(self, delay_seconds: float, callback: Callable[[], None]) -> None:
        self.pending.append((delay_seconds, callback))

    def cancel_all(self) -> None:
        self.pending.clear()

    def run_all(self) -> None:
        due, self.pending = self.pending, []
        for _, callback in due:
            callback()


@pytest.fixture
def scheduler() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def simulator(scheduler: ManualScheduler) -> Simulator:
    return Simulator(
        SimConfig(settle_delay_ms=2000, refund_settle_delay_ms=200), scheduler, clock=lambda: 1_700_000_000
    )


def events(simulator: Simulator) -> list[Event]:
    return list(simulator.ledger.events)


def test_a_delayed_payment_settles_when_its_timer_fires(simulator: Simulator, scheduler: ManualScheduler) -> None:
    intent = simulator.create_payment_intent(
        IntentSpec(1000, "eur", payment_method="pm_delayed_succeeds"), confirm=ConfirmOptions(), request=REQUEST
    )
    assert intent["status"] == "processing"
    assert [delay for delay, _ in scheduler.pending] == [2.0]

    scheduler.run_all()

    assert simulator.retrieve("pi", intent["id"])["status"] == "succeeded"
    assert events(simulator)[-1].request == RequestInfo()  # settled by the simulator, not by a request


def test_a_settlement_timer_that_fires_after_a_manual_settle_changes_nothing(
    simulator: Simulator, scheduler: ManualScheduler
) -> None:
    intent = simulator.create_payment_intent(
        IntentSpec(1000, "eur", payment_method="pm_delayed_succeeds"), confirm=ConfirmOptions(), request=REQUEST
    )
    simulator.settle_payment(intent["id"], succeed=False)
    count = len(events(simulator))

    scheduler.run_all()

    assert simulator.retrieve("pi", intent["id"])["status"] == "requires_payment_method"
    assert len(events(simulator)) == count


def test_events_keep_the_snapshot_of_their_moment(simulator: Simulator) -> None:
    intent = simulator.create_payment_intent(IntentSpec(1000, "eur"), confirm=None, request=REQUEST)
    simulator.confirm_payment_intent(intent["id"], ConfirmOptions(payment_method="pm_card_visa"), REQUEST)

    created, charged, succeeded, booked = events(simulator)

    assert (charged.type, booked.type) == ("charge.succeeded", "charge.updated")
    assert booked.previous_attributes == {"balance_transaction": None}
    assert (created.data_object["status"], succeeded.data_object["status"]) == (
        "requires_payment_method",
        "succeeded",
    )
    assert created.request == REQUEST


def test_a_decline_is_recorded_before_it_is_raised(simulator: Simulator) -> None:
    intent = simulator.create_payment_intent(IntentSpec(1000, "eur"), confirm=None, request=REQUEST)

    with pytest.raises(StripeApiError) as declined:
        simulator.confirm_payment_intent(
            intent["id"], ConfirmOptions(payment_method="pm_card_chargeDeclinedInsufficientFunds"), REQUEST
        )

    assert (declined.value.status, declined.value.replayable) == (402, True)
    assert declined.value.extra["decline_code"] == "insufficient_funds"
    stored = simulator.retrieve("pi", intent["id"])
    assert stored["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_a_pending_refund_counts_against_the_charge_until_it_fails(
    simulator: Simulator, scheduler: ManualScheduler
) -> None:
    intent = simulator.create_payment_intent(
        IntentSpec(1000, "eur", payment_method="pm_card_visa"), confirm=ConfirmOptions(), request=REQUEST
    )
    simulator.settlement.refunds_succeed = False
    refund = simulator.create_refund(RefundTarget(payment_intent=intent["id"]), RefundSpec(amount=400), REQUEST)
    assert simulator.retrieve("ch", intent["latest_charge"])["amount_refunded"] == 400

    scheduler.run_all()

    assert simulator.retrieve("re", refund["id"])["status"] == "failed"
    assert simulator.retrieve("ch", intent["latest_charge"])["amount_refunded"] == 0


def test_retrieving_with_the_wrong_kind_of_id_is_resource_missing(simulator: Simulator) -> None:
    intent = simulator.create_payment_intent(IntentSpec(1000, "eur"), confirm=None, request=REQUEST)
    with pytest.raises(StripeApiError) as missing:
        simulator.retrieve("re", intent["id"])
    assert (missing.value.status, missing.value.code) == (404, "resource_missing")


def test_reset_cancels_timers_and_forgets_objects(simulator: Simulator, scheduler: ManualScheduler) -> None:
    simulator.create_payment_intent(
        IntentSpec(1000, "eur", payment_method="pm_delayed_fails"), confirm=ConfirmOptions(), request=REQUEST
    )
    simulator.reset()
    assert scheduler.pending == []
    assert len(simulator.ledger.payment_intents) == 0


def test_moving_the_clock_does_what_fell_due_in_due_order_and_counts_it(simulator: Simulator) -> None:
    held = simulator.create_payment_intent(
        IntentSpec(1000, "eur", capture_method="manual", payment_method="pm_card_visa"),
        confirm=ConfirmOptions(),
        request=REQUEST,
    )
    paid = simulator.create_payment_intent(
        IntentSpec(1000, "eur", payment_method="pm_card_refundPending"), confirm=ConfirmOptions(), request=REQUEST
    )
    simulator.create_refund(RefundTarget(payment_intent=paid["id"]), RefundSpec(), REQUEST)

    assert simulator.advance_clock(3 * 24 * 60 * 60) == {
        "payments_settled": 0,
        "refunds_settled": 1,
        "authorizations_lapsed": 0,
    }
    assert simulator.advance_clock(4 * 24 * 60 * 60)["authorizations_lapsed"] == 1

    lapsed = simulator.retrieve("pi", held["id"])
    assert (lapsed["status"], lapsed["cancellation_reason"]) == ("canceled", "expired")
    assert lapsed["canceled_at"] == 1_700_000_000 + 7 * 24 * 60 * 60
    types = [event.type for event in events(simulator)]
    assert types[-4:] == ["refund.updated", "charge.refund.updated", "charge.expired", "payment_intent.canceled"]
