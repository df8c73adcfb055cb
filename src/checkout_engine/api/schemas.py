"""Request bodies. Strict: unknown fields, wrong types and floats for money are refused with 422."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from checkout_engine.api.text_input import PROBLEM, body_text_problem

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, upper case")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, upper case")]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
MinorUnits = Annotated[StrictInt, Field(ge=0, le=10**12)]
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


Timestamp = Annotated[datetime, AfterValidator(_within_bounds)]
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
    currency: Currency
    customer_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    email: Email | None = None
    country: Country | None = None


class SetQuantity(Body):
    quantity: StrictInt


class Address(Body):
    name: Text
    line1: Text
    city: Text
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: Country


class SetShipping(Body):
    address: Address
    method: Annotated[str, Field(min_length=1, max_length=64)]


class ApplyCoupon(Body):
    code: Annotated[str, Field(min_length=1, max_length=64)]


class Checkout(Body):
    expected_total: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = None


class RequestRefund(Body):
    amount: Annotated[StrictInt, Field(gt=0, le=10**12)]
    reason: Reason


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
    percent_off: Annotated[StrictInt, Field(ge=1, le=100)] | None = None
    amount_off: Annotated[StrictInt, Field(ge=1, le=10**12)] | None = None
    currency: Currency | None = None
    max_redemptions: Annotated[StrictInt, Field(ge=0)] | None = None
    max_per_customer: Annotated[StrictInt, Field(ge=0)] | None = None
    expires_at: Timestamp | None = None
    skus: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")]], Field(max_length=1000)] | None = (
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
