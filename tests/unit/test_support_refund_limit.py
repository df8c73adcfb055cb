"""Support's refund limit per currency: one number scaled by each currency's exponent, or named per currency; a
malformed value is refused at start-up."""

import pytest
from pydantic import ValidationError

from checkout_engine.settings import Settings


def test_one_number_is_scaled_to_each_currency_by_its_exponent() -> None:
    settings = Settings(support_refund_limit=10_000)
    assert [settings.support_limit_for(c) for c in ("EUR", "JPY", "KWD")] == [10_000, 100, 100_000]


def test_currencies_named_take_their_own_limit_and_the_others_the_plain_number() -> None:
    settings = Settings(support_refund_limit="5000,JPY:15000")
    assert [settings.support_limit_for(c) for c in ("JPY", "jpy", "EUR", "KWD")] == [15_000, 15_000, 5_000, 50_000]
    assert Settings(support_refund_limit="EUR:500").support_limit_for("USD") == 10_000  # the default plain number


@pytest.mark.parametrize("value", ["EUR=5", "EURO:5", "EUR:-5", "EUR:1.5", "lots", -1])
def test_a_malformed_limit_is_refused(value: str | int) -> None:
    with pytest.raises(ValidationError):
        Settings(support_refund_limit=value)
