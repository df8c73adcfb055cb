"""What the storefront's successful answers look like, for the OpenAPI description: a client generated from it
gets a type for the cart, the checkout answer and the order view. The answers themselves are built where their data
lives (cart_view, the checkout phases, orders.views); these models describe them and change nothing (routes name
them in ``responses``, never as ``response_model``), and the fuzz test holds every real answer to them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from checkout_engine.cart.model import CartStatus
from checkout_engine.catalog.model import ProductKind
from checkout_engine.orders.model import OrderState

MinorUnits = int  # an amount in the currency's minor units, as everywhere in the API


class QuoteLine(BaseModel):
    sku: str
    name: str
    kind: ProductKind
    quantity: int
    unit_price: MinorUnits
    subtotal: MinorUnits
    discount: MinorUnits
    tax_rate_bp: int = Field(description="The line's tax rate in basis points.")
    tax: MinorUnits
    total: MinorUnits


class AppliedCoupon(BaseModel):
    code: str
    applied: bool
    rejection: str | None = Field(description="Why the code does not apply to this cart now, when it does not.")


class ChosenShipping(BaseModel):
    method: str
    name: str
    price: MinorUnits


class Totals(BaseModel):
    subtotal: MinorUnits
    discount_total: MinorUnits
    shipping_total: MinorUnits
    tax_total: MinorUnits
    total: MinorUnits


class Quote(Totals):
    """The server's price of the cart as it is now."""

    currency: str
    lines: list[QuoteLine]
    coupon: AppliedCoupon | None
    shipping: ChosenShipping | None
    tax_country: str | None
    unavailable_skus: list[str] = Field(description="Lines that can no longer be bought: checkout refuses the cart.")


class CartItem(BaseModel):
    sku: str
    quantity: int


class CartShipping(BaseModel):
    address: dict[str, str]
    method: str


class CartAnswer(BaseModel):
    id: str = Field(description="The cart's id: its capability.")
    object: Literal["cart"]
    currency: str
    customer_id: str | None
    email: str | None
    country: str | None
    status: CartStatus
    items: list[CartItem]
    coupon: str | None
    shipping: CartShipping | None
    quote: Quote
    created_at: datetime
    updated_at: datetime


class Payment(BaseModel):
    """The order's latest payment attempt, with what the browser needs to confirm it."""

    id: str
    provider: str
    provider_payment_id: str | None
    client_secret: str | None
    status: str = Field(description="The provider's status of the payment, as last seen.")


class PaymentAttemptAnswer(BaseModel):
    order_id: str
    state: OrderState
    total: MinorUnits
    currency: str
    reservation_expires_at: datetime
    payment: Payment


class CheckoutAnswer(PaymentAttemptAnswer):
    order_token: str = Field(description="The customer's capability to see the order (header X-Order-Token).")


class OrderLine(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: MinorUnits
    discount: MinorUnits
    tax: MinorUnits
    total: MinorUnits


class RefundSummary(BaseModel):
    status: Literal["none", "pending", "partial", "full"]
    refunded_amount: MinorUnits
    pending_amount: MinorUnits
    extra_payments_refunded: MinorUnits
    paying_attempt_id: str | None


class Download(BaseModel):
    sku: str
    grant_token: str = Field(description="GET /v1/downloads/{grant_token} while the grant lasts.")
    expires_at: datetime
    downloads_left: int


class CustomerOrder(Totals):
    """The customer's view of the order: what was bought, as frozen at checkout, and where it stands."""

    id: str
    object: Literal["order"]
    state: OrderState
    currency: str
    lines: list[OrderLine]
    coupon: AppliedCoupon | None
    shipping: ChosenShipping | None
    shipping_address: dict[str, str] | None
    payment: Payment | None
    fulfillment_status: Literal["not_started", "pending", "partially_fulfilled", "fulfilled"]
    refund: RefundSummary
    downloads: list[Download]
    reservation_expires_at: datetime | None
    created_at: datetime
