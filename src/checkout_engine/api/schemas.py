"""Request bodies. Strict: unknown fields, wrong types and floats for money are refused with 422.

Where a rule lives in the domain (currencies, countries, quantities, codes), the schema states it for the OpenAPI
description through ``json_schema_extra`` and the domain's check refuses what breaks it, with the contract's code."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

from checkout_engine.api.text_input import BODY_TEXT_PATTERN, PROBLEM, body_text_problem
from checkout_engine.cart.model import MAX_QUANTITY
from checkout_engine.catalog.model import CODE_PATTERN, SKU_PATTERN, countries
from checkout_engine.money import currencies

Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, upper case", json_schema_extra={"enum": [*currencies()]}),
]
Country = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 code, upper case",
        json_schema_extra={"enum": [*countries()]},
    ),
]
Code = Annotated[str, Field(pattern=f"^{CODE_PATTERN.pattern}$", examples=["standard"])]
Email = Annotated[
    str, Field(max_length=320, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
]
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=BODY_TEXT_PATTERN)]
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=BODY_TEXT_PATTERN)]
MinorUnits = Annotated[
    StrictInt,
    Field(
        ge=0, le=10**12, description="Integer minor units (cents); a number with a point (19.99, 1999.0) is refused."
    ),
]
Count = Annotated[StrictInt, Field(ge=0, le=10**9)]
# Timestamps a filter may compare with: with a zone, and inside what the database stores once moved to UTC (an
# offset on 0001-01-01 or 9999-12-31 would leave the calendar on the way).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _within_bounds(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a timestamp needs a time zone (Z or an offset)")
    if not EARLIEST <= moment <= LATEST:  # compared as instants: nothing is converted that could overflow
        raise ValueError(f"a timestamp must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return moment.astimezone(UTC)


DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _written_as_date_time(value: Any) -> Any:
    """RFC 3339 text only: a bare number would otherwise be read as seconds since 1970."""
    if not isinstance(value, datetime) and not (isinstance(value, str) and DATE_TIME.match(value)):
        raise ValueError("a timestamp is an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_written_as_date_time), AfterValidator(_within_bounds)]
Prices = Annotated[dict[Currency, MinorUnits], Field(max_length=200)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: Any) -> Any:
        where = body_text_problem(data)
        if where is not None:
            raise PydanticCustomError("invalid_characters", "{field} " + PROBLEM, {"field": where})
        return data


class CreateCart(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"currency": "EUR", "email": "ada@example.com"}]})

    currency: Currency
    customer_id: Annotated[str, Field(min_length=1, max_length=128, pattern=BODY_TEXT_PATTERN)] | None = None
    email: Email | None = None
    country: Country | None = None


class SetQuantity(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"quantity": 2}]})

    quantity: Annotated[StrictInt, Field(json_schema_extra={"minimum": 0, "maximum": MAX_QUANTITY})]


class Address(Body):
    name: Text
    line1: Text
    city: Text
    postal_code: Annotated[str, Field(min_length=1, max_length=20, pattern=BODY_TEXT_PATTERN)]
    country: Country


class SetShipping(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "address": {
                        "name": "Ada Lovelace",
                        "line1": "12 St James's Square",
                        "city": "London",
                        "postal_code": "SW1Y 4JH",
                        "country": "GB",
                    },
                    "method": "standard",
                }
            ]
        }
    )

    address: Address
    method: Code


class ApplyCoupon(Body):
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=BODY_TEXT_PATTERN)]


class Checkout(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expected_total": 4998}]})

    expected_total: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = None


class RefundLine(Body):
    sku: Annotated[str, Field(pattern=f"^{SKU_PATTERN.pattern}$")]
    quantity: Annotated[StrictInt, Field(gt=0, le=MAX_QUANTITY)]


class RequestRefund(Body):
    """By ``amount``, or by ``lines`` and/or ``shipping`` (their share of the order's frozen prices); not both."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"amount": 1999, "reason": "damaged in transit"},
                {"lines": [{"sku": "SHIRT", "quantity": 1}], "shipping": True, "reason": "returned one shirt"},
            ]
        }
    )

    amount: Annotated[StrictInt, Field(gt=0, le=10**12)] | None = None
    lines: Annotated[list[RefundLine], Field(min_length=1, max_length=100)] | None = None
    shipping: StrictBool = False
    reason: Reason

    @model_validator(mode="after")
    def _amount_or_lines(self) -> RequestRefund:
        by_line = self.lines is not None or self.shipping
        if (self.amount is None) == (not by_line):
            raise PydanticCustomError("refund_basis", "give either an amount, or lines and/or shipping")
        return self


class StartReconciliation(Body):
    reason: Reason


class ResolveFinding(Body):
    note: Reason


class PutProduct(Body):
    name: Text
    kind: Annotated[str, Field(pattern=r"^(physical|digital)$")]
    prices: Prices
    tax_class: Annotated[str, Field(pattern=r"^(standard|reduced|zero)$")]
    active: StrictBool = True
    reason: Reason = "catalog update"


class PutInventory(Body):
    on_hand: Annotated[StrictInt, Field(ge=0, le=10**9)]
    reason: Reason


class PutCoupon(Body):
    # Either a percentage, or an amount with its currency: the rule is Coupon's, stated here for the description.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["percent_off"],
                    "properties": {"percent_off": {"type": "integer"}, "amount_off": {"type": "null"}},
                },
                {
                    "required": ["amount_off", "currency"],
                    "properties": {
                        "amount_off": {"type": "integer"},
                        "currency": {"type": "string"},
                        "percent_off": {"type": "null"},
                    },
                },
            ],
            "examples": [{"percent_off": 10, "reason": "spring sale"}, {"amount_off": 500, "currency": "EUR"}],
        }
    )

    percent_off: Annotated[StrictInt, Field(ge=1, le=100)] | None = None
    amount_off: Annotated[StrictInt, Field(ge=1, le=10**12)] | None = None
    currency: Currency | None = None
    max_redemptions: Count | None = None
    max_per_customer: Count | None = None
    expires_at: Timestamp | None = None
    skus: Annotated[list[Annotated[str, Field(pattern=f"^{SKU_PATTERN.pattern}$")]], Field(max_length=1000)] | None = (
        None
    )
    min_subtotal: MinorUnits | None = None
    active: StrictBool = True
    reason: Reason = "catalog update"


class PutShippingMethod(Body):
    name: Text
    prices: Prices
    countries: Annotated[list[Country], Field(min_length=1, max_length=300)]
    active: StrictBool = True
    reason: Reason = "catalog update"


class PutTaxRate(Body):
    standard: Annotated[StrictInt, Field(ge=0, le=10_000)]
    reduced: Annotated[StrictInt, Field(ge=0, le=10_000)]
    reason: Reason = "catalog update"
