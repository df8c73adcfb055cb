from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout_engine.money import (
    Money,
    MoneyError,
    allocate,
    apply_basis_points,
    exponent,
    round_half_away_from_zero,
)


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("EUR", 2), ("USD", 2), ("KWD", 3), ("BHD", 3)])
def test_each_currency_has_the_exponent_of_its_minor_unit(currency: str, digits: int) -> None:
    assert exponent(currency) == digits
    assert Money(0, currency).exponent == digits


def test_money_refuses_floats_and_booleans() -> None:
    with pytest.raises(MoneyError):
        Money(19.99, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(True, "EUR")


def test_money_refuses_unknown_or_lower_case_currencies() -> None:
    for code in ("ZZZ", "eur", "EURO", ""):
        with pytest.raises(MoneyError):
            Money(1, code)


def test_arithmetic_only_within_one_currency() -> None:
    assert Money(150, "EUR") + Money(50, "EUR") == Money(200, "EUR")
    assert Money(150, "EUR") - Money(50, "EUR") == Money(100, "EUR")
    assert Money(150, "EUR") * 3 == Money(450, "EUR")
    with pytest.raises(MoneyError):
        Money(1, "EUR") + Money(1, "USD")
    with pytest.raises(MoneyError):
        Money(1, "EUR") * 1.5  # type: ignore[operator]


def test_money_prints_with_the_currency_exponent() -> None:
    assert str(Money(1999, "EUR")) == "19.99 EUR"
    assert str(Money(2900, "JPY")) == "2900 JPY"
    assert str(Money(6500, "KWD")) == "6.500 KWD"
    assert str(Money(-5, "EUR")) == "-0.05 EUR"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(5, 2), 3), (Fraction(-5, 2), -3), (Fraction(249, 100), 2), (Fraction(251, 100), 3), (Fraction(7), 7)],
)
def test_the_rounding_rule_is_half_away_from_zero(value: Fraction, expected: int) -> None:
    assert round_half_away_from_zero(value) == expected


def test_basis_points_round_once_on_the_exact_product() -> None:
    assert apply_basis_points(5997 - 600, 1900) == 1025  # 1025.43
    assert apply_basis_points(50, 1000) == 5
    assert apply_basis_points(5, 1000) == 1  # 0.5 rounds away from zero


def test_allocation_gives_the_remainder_to_the_largest_fractions_then_the_earlier_part() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [3, 3, 4]) == [3, 3, 4]
    assert allocate(0, [0, 0]) == [0, 0]


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
)
def test_allocated_parts_always_add_up_and_stay_within_one_unit_of_their_share(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert exact - 1 < part < exact + 1
