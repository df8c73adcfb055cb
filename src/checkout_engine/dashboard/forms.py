"""Reading the dashboard's form fields into the values the domain takes. Problems are ``Invalid`` errors, shown
to the operator like any refusal of the domain."""

from __future__ import annotations

import re
from decimal import Decimal

from checkout_engine.errors import Invalid
from checkout_engine.money import exponent

MAX_REASON_LENGTH = 500  # as the admin API's Reason
AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,4})?$")


class FormProblem(Invalid):
    code = "invalid_form"


def reason(text: str, *, field: str = "reason") -> str:
    """Every action says why; the text goes into the audit log."""
    cleaned = text.strip()
    if not cleaned:
        raise FormProblem(f"Give a {field}: it is kept in the audit log.")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise FormProblem(f"The {field} may have at most {MAX_REASON_LENGTH} characters.")
    return cleaned


def amount(text: str, currency: str) -> int:
    """``"12.50"`` in EUR is 1250 minor units; more decimals than the currency has are refused, never rounded."""
    cleaned = text.strip()
    digits = exponent(currency)
    if not AMOUNT.match(cleaned):
        raise FormProblem(f"Write the amount as a plain number, such as 12.50 ({currency}).")
    minor = Decimal(cleaned) * (10**digits)
    if minor != minor.to_integral_value() or minor <= 0:
        raise FormProblem(f"{cleaned} is not a positive amount of {currency} (at most {digits} decimals).")
    return int(minor)


def confirmed(checkbox: str | None, what: str) -> None:
    """Dangerous actions carry a ticked confirmation box; the browser asks for it, and so do we."""
    if checkbox != "yes":
        raise FormProblem(f"Tick the box to confirm the {what}.")


def local_path(target: str | None, default: str) -> str:
    """Where to go after login or an action: a path inside the dashboard, never another site."""
    if target and target.startswith("/ops") and not target.startswith("//") and "\\" not in target:
        return target
    return default
