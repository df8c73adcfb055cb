"""What the model's customers and operators hold on to: their carts and orders (with the ids, tokens and keys the
API gave them), and what an operator reads before choosing a refund amount."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import orders, payment_attempts, refunds
from checkout_engine.invariants.model import ASKED_REFUNDS
from support.checkout import ADDRESS


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass(eq=False)
class OrderRef:
    id: str
    token: str
    intents: list[str] = field(default_factory=list)  # provider payment ids the customer was given, oldest first
    attempt_keys: list[str] = field(default_factory=list)
    refund_keys: list[str] = field(default_factory=list)

    def saw_payment(self, answer: dict[str, Any]) -> None:
        intent = answer["payment"]["provider_payment_id"]
        if intent and intent not in self.intents:
            self.intents.append(intent)

    @property
    def attempts_path(self) -> str:
        return f"/v1/orders/{self.id}/payment-attempts"

    @property
    def refunds_path(self) -> str:
        return f"/admin/v1/orders/{self.id}/refunds"


@dataclass(eq=False)
class CartRef:
    id: str
    total: int
    keys: list[str] = field(default_factory=list)  # every Idempotency-Key its checkout was sent with
    order: OrderRef | None = None  # once a checkout answered 201

    @property
    def checkout_path(self) -> str:
        return f"/v1/carts/{self.id}/checkout"

    def new_key(self) -> str:
        self.keys.append(new_key())
        return self.keys[-1]


def cart_with(client: TestClient, items: dict[str, int], coupon: str | None = None) -> CartRef:
    """A cart with whatever of ``items`` is still in stock, ``coupon`` (if any), and a shipping address."""
    created = client.post("/v1/carts", json={"currency": "EUR", "country": "DE"})
    assert created.status_code == 201, created.text
    cart_id = created.json()["id"]
    for sku, quantity in items.items():
        answer = client.put(f"/v1/carts/{cart_id}/items/{sku}", json={"quantity": quantity})
        assert answer.status_code == 200 or answer.json()["error"]["code"] == "insufficient_inventory", answer.text
    shipping = client.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "standard"})
    assert shipping.status_code == 200, shipping.text
    if coupon is not None:  # its redemption is taken at checkout, if one is left then
        applied = client.put(f"/v1/carts/{cart_id}/coupon", json={"code": coupon})
        refused = applied.status_code == 422 and applied.json()["error"]["code"] == "invalid_coupon"
        assert applied.status_code == 200 or refused, applied.text  # refused for a cart left empty (no stock)
    quote = client.get(f"/v1/carts/{cart_id}").json()["quote"]
    return CartRef(cart_id, quote["total"])


def refund_left(engine: Engine, order_id: str) -> int:
    """What the order's first successful payment still has to refund, as an operator would read it."""
    with engine.connect() as conn:
        attempt = conn.execute(
            sa.select(payment_attempts.c.id, payment_attempts.c.amount_received)
            .where(payment_attempts.c.order_id == order_id, payment_attempts.c.status == "succeeded")
            .order_by(payment_attempts.c.created_at, payment_attempts.c.id)
            .limit(1)
        ).first()
        if attempt is None:
            return 0
        asked = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount), 0)).where(
                refunds.c.payment_attempt_id == attempt.id, refunds.c.status.in_(sorted(ASKED_REFUNDS))
            )
        ).scalar_one()
    return int(attempt.amount_received - asked)


def order_of(engine: Engine, cart: CartRef) -> str | None:
    """The latest order made from the cart, as our books know it (its customer may not: the checkout died)."""
    with engine.connect() as conn:
        query = sa.select(orders.c.id).where(orders.c.cart_id == cart.id).order_by(orders.c.created_at.desc())
        return conn.execute(query.limit(1)).scalar()
