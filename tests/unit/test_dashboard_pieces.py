"""The dashboard's pure pieces, without a browser or a database: amounts typed by operators, signed cookies, the
chart's geometry and where a form may send the browser next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from checkout_engine.dashboard import chart, forms
from checkout_engine.dashboard.cookies import Signer, load_secret
from checkout_engine.dashboard.queries import Hour
from checkout_engine.dashboard.routes.orders import _refund_room


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [("12.50", "EUR", 1250), ("12.5", "EUR", 1250), ("7", "EUR", 700), ("1500", "JPY", 1500), ("0.125", "KWD", 125)],
)
def test_an_amount_is_read_in_the_currencys_own_minor_units(typed: str, currency: str, minor: int) -> None:
    assert forms.amount(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency"),
    [("12.505", "EUR"), ("1.5", "JPY"), ("0", "EUR"), ("-3", "EUR"), ("1,50", "EUR"), ("", "EUR")],
)
def test_an_amount_with_too_many_decimals_or_not_a_positive_number_is_refused_never_rounded(
    typed: str, currency: str
) -> None:
    with pytest.raises(forms.FormProblem):
        forms.amount(typed, currency)


def test_a_signed_value_is_refused_when_tampered_with_or_presented_for_another_purpose() -> None:
    signer = Signer(load_secret(None))
    value = signer.sign("session", {"e": "ana@shop.test"})
    assert signer.unsign("session", value) == {"e": "ana@shop.test"}
    assert signer.unsign("notice", value) is None
    body, _, mac = value.partition(".")
    assert signer.unsign("session", f"{body}x.{mac}") is None
    assert signer.unsign("session", body) is None
    assert Signer(load_secret(None)).unsign("session", value) is None  # another process's random key


def test_a_configured_secret_gives_every_process_the_same_key() -> None:
    shared = "shared between the app's processes"  # CHECKOUT_SESSION_SECRET
    assert load_secret(shared) == load_secret(shared) != shared.encode()


def test_bars_are_scaled_to_the_busiest_hour_and_empty_hours_draw_nothing() -> None:
    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    hours = [Hour(start, 4, 2, 0), Hour(start + timedelta(hours=1), 0, 0, 0), Hour(start + timedelta(hours=2), 1, 0, 1)]
    drawn = chart.build(hours)
    assert drawn.peak == 4
    assert [(bar.series, bar.height) for bar in drawn.bars] == [
        ("checkouts", 120.0),
        ("succeeded", 60.0),
        ("checkouts", 30.0),
        ("failed", 30.0),
    ]
    assert all(bar.y + bar.height == drawn.plot_bottom for bar in drawn.bars)
    assert drawn.bars[0].title == "10:00 UTC: 4 checkouts"
    assert [label.text for label in drawn.labels] == ["10:00"]
    assert chart.build([Hour(start, 0, 0, 0)]).bars == ()


@pytest.mark.parametrize(
    ("target", "went"),
    [
        ("/ops/orders/ord_1#webhooks", "/ops/orders/ord_1#webhooks"),
        ("https://evil.test/ops", "/ops/"),
        ("//evil", "/ops/"),
    ],
)
def test_a_form_only_ever_sends_the_browser_back_inside_the_dashboard(target: str, went: str) -> None:
    assert forms.local_path(target, "/ops/") == went


def test_the_refund_room_is_that_of_the_payment_the_order_kept_not_the_first_that_succeeded() -> None:
    """After a duplicate payment (an older attempt paid second and was refunded in full), the room left is the
    kept payment's, as ``refunds.service`` counts it."""
    detail = {
        "refund": {"paying_attempt_id": "pat_new"},
        "payment_attempts": [
            {"id": "pat_old", "status": "succeeded", "amount_received": 5000},
            {"id": "pat_new", "status": "succeeded", "amount_received": 5000},
        ],
        "refunds": [
            {"payment_attempt_id": "pat_old", "amount": 5000, "status": "succeeded"},
            {"payment_attempt_id": "pat_new", "amount": 1000, "status": "pending"},
        ],
    }
    assert _refund_room(detail) == {"captured": 5000, "held": 1000, "left": 4000}
