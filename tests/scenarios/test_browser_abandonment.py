"""Browser abandonment (playbook test 5): the customer pays and closes the tab before the success page loads, or
leaves before paying at all, or half-way through 3-D Secure.

What must hold: the success page is never the source of truth. A payment made with no browser left is made paid
and fulfilled by the provider's webhook alone, exactly once; an order nobody pays expires after its reservation
TTL with its stock and coupon given back, its intent cancelled at the provider and nothing charged."""

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from promises import (
    HAPPY_PATH,
    a_ready_cart,
    assert_charged_once,
    charges,
    check_out,
    customer_view,
    moves,
    order_state,
    pay,
    reaches,
    stock,
    transitions,
)
from sqlalchemy import Engine

from checkout_engine.catalog.redemptions import redeemed_count
from checkout_engine.db.tables import entitlements, order_events, receipts, shipment_requests
from support.checkout import intents_for
from support.processes import ApiProcess, eventually
from support.provider_sim_process import ProviderSimProcess

SHORT_TTL = {"CHECKOUT_RESERVATION_TTL_SECONDS": "2"}


def test_the_browser_never_comes_back_yet_the_webhook_alone_makes_the_order_paid_and_fulfilled(
    shop: httpx.Client, engine: Engine, sim: ProviderSimProcess, place: Any
) -> None:
    order = place({"SHIRT": 1, "EBOOK": 1})
    pay(sim, order)  # ...and the tab closes: nobody ever asks for the order again until it is done

    reaches(engine, order["order_id"], "fulfilled")
    assert moves(engine, order["order_id"]) == HAPPY_PATH
    paid = transitions(engine, order["order_id"])[2]
    assert paid[2] is not None and paid[2].startswith("evt_")  # the provider event that proved it
    assert_charged_once(sim, order["order_id"], order["total"])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(entitlements)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar() == 1
    assert stock(engine, "SHIRT") == (9, 0)  # the held unit left stock for good

    def receipt_sent() -> bool:
        with engine.connect() as conn:
            return conn.execute(sa.select(receipts.c.status)).scalars().all() == ["sent"]

    eventually(receipt_sent, what="the receipt to be sent")
    view = customer_view(shop, order)  # the customer comes back days later
    assert view["state"] == "fulfilled" and [d["sku"] for d in view["downloads"]] == ["EBOOK"]
    licence = shop.get(f"/v1/downloads/{view['downloads'][0]['grant_token']}")
    assert licence.status_code == 200 and licence.json()["sku"] == "EBOOK"


@pytest.mark.parametrize("scenario_settings", [SHORT_TTL], ids=["ttl-2s"])
def test_orders_left_unpaid_or_half_way_through_3ds_expire_with_their_stock_back_and_nothing_charged(
    shop: httpx.Client, api: ApiProcess, engine: Engine, sim: ProviderSimProcess
) -> None:
    coupon_cart = a_ready_cart(shop)
    assert shop.put(f"/v1/carts/{coupon_cart}/coupon", json={"code": "TENOFF"}).status_code == 200
    left: dict[str, Any] = check_out(shop, coupon_cart, "left").json()
    in_3ds: dict[str, Any] = check_out(shop, a_ready_cart(shop), "3ds").json()
    assert pay(sim, in_3ds, "pm_card_authenticationRequired")["status"] == "requires_action"  # then the tab closes
    assert stock(engine, "SHIRT") == (10, 4)

    for order in (left, in_3ds):
        reaches(engine, order["order_id"], "expired")
        assert moves(engine, order["order_id"]) == [
            (None, "draft"),
            ("draft", "payment_pending"),
            ("payment_pending", "expired"),
        ]
        assert [intent["status"] for intent in intents_for(sim, order["order_id"])] == ["canceled"]
        assert charges(sim, order["order_id"]) == []
    assert stock(engine, "SHIRT") == (10, 0)
    with engine.connect() as conn:
        assert redeemed_count(conn, "TENOFF") == 0
        reasons = conn.execute(sa.select(order_events.c.reason).where(order_events.c.to_state == "expired"))
        assert reasons.scalars().all() == ["reservation_expired", "reservation_expired"]
    assert order_state(engine, left["order_id"]) == "expired"
    assert customer_view(shop, left)["state"] == "expired"
