"""Coupon redemption limits hold under concurrency: twenty checkouts racing for the last three redemptions of a
coupon redeem exactly three; a customer's own limit holds too."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.catalog.redemptions import redeemed_count
from support.checkout import checkout, ready_cart
from support.http import assert_error

RACERS = 20


def test_twenty_checkouts_for_three_remaining_redemptions_redeem_exactly_three(
    shop: TestClient, live: str, engine: Engine, admin_headers: dict[str, str]
) -> None:
    shop.put("/admin/v1/coupons/LAST3", json={"percent_off": 20, "max_redemptions": 3}, headers=admin_headers)
    cart_ids = []
    for _ in range(RACERS):
        cart_id = ready_cart(shop, {"SHIRT": 1})
        assert shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "LAST3"}).status_code == 200
        cart_ids.append(cart_id)

    def submit(cart_id: str) -> httpx.Response:
        return httpx.post(f"{live}/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": "k"}, json={}, timeout=60)

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(submit, cart_ids))

    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * (RACERS - 3)
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"coupon_unavailable"}
    with engine.connect() as conn:
        assert redeemed_count(conn, "LAST3") == 3


def test_a_customer_cannot_redeem_a_once_per_customer_coupon_twice(
    shop: TestClient, admin_headers: dict[str, str]
) -> None:
    shop.put(
        "/admin/v1/coupons/ONCE",
        json={"amount_off": 300, "currency": "EUR", "max_per_customer": 1},
        headers=admin_headers,
    )
    first, second = (ready_cart(shop, {"SHIRT": 1}, customer_id="cus_7") for _ in range(2))
    for cart_id in (first, second):
        shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "ONCE"})
    assert checkout(shop, first, "k").status_code == 201
    assert_error(checkout(shop, second, "k"), 409, "coupon_unavailable")
    other_customer = ready_cart(shop, {"SHIRT": 1}, customer_id="cus_8")
    shop.put(f"/v1/carts/{other_customer}/coupon", json={"code": "ONCE"})
    assert checkout(shop, other_customer, "k").status_code == 201
