"""Money as integer minor units of one ISO 4217 currency. No floats, ever.

Rounding rule (the only one in the product): **half away from zero** on exact rational arithmetic, applied once per
computed amount (a line's tax, a percentage discount). Remainders of a split are spread by the largest-remainder
method, ties going to the earlier share, so parts always add up to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

BASIS_POINTS = 10_000  # 1 basis point = 0.01 %


class MoneyError(ValueError):
    """A programming error with money: a float, an unknown currency, or two currencies mixed."""


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currencies() -> tuple[str, ...]:
    """Every code ``is_currency`` accepts, sorted (the OpenAPI description lists them)."""
    return tuple(sorted(code for code in _known_currencies() if is_currency(code)))


def is_currency(code: str) -> bool:
    return len(code) == 3 and code.isupper() and code in _known_currencies()


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit (JPY 0, EUR 2, KWD 3), from CLDR via Babel."""
    if not is_currency(currency):
        raise MoneyError(f"unknown currency {currency!r}")
    return int(get_currency_precision(currency))


def round_half_away_from_zero(value: Fraction) -> int:
    magnitude = abs(value)
    rounded = (magnitude.numerator * 2 + magnitude.denominator) // (magnitude.denominator * 2)
    return rounded if value >= 0 else -rounded


def apply_basis_points(amount: int, basis_points: int) -> int:
    """``amount`` x ``basis_points`` / 10,000, rounded by the product's rule."""
    return round_half_away_from_zero(Fraction(amount * basis_points, BASIS_POINTS))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to non-negative ``weights``; the parts add up to ``total`` exactly."""
    if total < 0 or any(w < 0 for w in weights):
        raise MoneyError("allocate takes a non-negative total and weights")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise MoneyError("cannot allocate a non-zero total over zero weights")
        return [0] * len(weights)
    shares = [divmod(total * w, weight_sum) for w in weights]
    parts = [quotient for quotient, _ in shares]
    left = total - sum(parts)
    # Largest remainder first; on a tie the earlier share wins, which keeps the result deterministic.
    order = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyError(f"money takes integer minor units, not {type(self.minor).__name__}")
        if not is_currency(self.currency):
            raise MoneyError(f"unknown currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def exponent(self) -> int:
        return exponent(self.currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise MoneyError("money can only be multiplied by an integer")
        return Money(self.minor * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __str__(self) -> str:
        digits = self.exponent
        sign = "-" if self.minor < 0 else ""
        whole, fraction = divmod(abs(self.minor), 10**digits)
        return f"{sign}{whole}.{fraction:0{digits}d} {self.currency}" if digits else f"{sign}{whole} {self.currency}"
