"""`POST /v1/carts/{id}/checkout` as the contract writes it: one order with a frozen price, held stock and one
payment intent at the provider, and Stripe's idempotency semantics. (A client-sent total that differs from the
quote is a scenario: tests/scenarios/test_price_manipulation.py.)"""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import inventory, inventory_reservations, orders, payment_attempts
from checkout_engine.settings import Settings
from support.catalog import new_cart, put, set_item
from support.checkout import checkout, intents_for, ready_cart
from support.http import assert_error
from support.provider_sim_process import ProviderSimProcess


def test_a_checkout_creates_one_pending_order_with_held_stock_and_one_intent_for_the_snapshot_total(
    shop: TestClient, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = ready_cart(shop)
    quoted = shop.get(f"/v1/carts/{cart_id}").json()["quote"]["total"]
    response = checkout(shop, cart_id, "key-1", expected_total=quoted)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"order_id", "order_token", "state", "total", "currency", "reservation_expires_at", "payment"}
    assert (body["state"], body["total"], body["currency"]) == ("payment_pending", quoted, "EUR")
    payment = body["payment"]
    assert payment["provider"] == "stripe" and payment["provider_payment_id"].startswith("pi_")
    assert payment["client_secret"].startswith(payment["provider_payment_id"]) and payment["status"] == "pending"
    [intent] = intents_for(sim, body["order_id"])
    assert (intent["amount"], intent["currency"]) == (quoted, "eur")
    assert intent["metadata"] == {"order_id": body["order_id"], "payment_attempt_id": payment["id"]}
    with engine.connect() as conn:
        stock = conn.execute(sa.select(inventory.c.reserved).where(inventory.c.sku == "SHIRT")).scalar_one()
        holds = conn.execute(sa.select(inventory_reservations.c.quantity)).scalars().all()
    assert stock == 2 and holds == [2]
    assert shop.get(f"/v1/carts/{cart_id}").json()["status"] == "frozen"


def test_the_same_key_and_body_replays_the_first_answer_and_creates_nothing_more(
    shop: TestClient, engine: Engine, sim: ProviderSimProcess
) -> None:
    cart_id = ready_cart(shop)
    first = checkout(shop, cart_id, "key-1")
    second = checkout(shop, cart_id, "key-1")
    assert second.status_code == 201 and second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert len(intents_for(sim, first.json()["order_id"])) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(payment_attempts)).scalar() == 1


def test_the_same_key_with_another_body_is_refused_and_a_missing_key_is_a_400(shop: TestClient) -> None:
    cart_id = ready_cart(shop)
    total = shop.get(f"/v1/carts/{cart_id}").json()["quote"]["total"]
    assert checkout(shop, cart_id, "key-1", expected_total=total).status_code == 201
    assert_error(checkout(shop, cart_id, "key-1", expected_total=total + 1), 422, "idempotency_key_reused")
    missing = shop.post(f"/v1/carts/{cart_id}/checkout", json={})
    assert_error(missing, 400, "idempotency_key_required")
    too_long = shop.post(f"/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": "k" * 256})
    assert_error(too_long, 400, "invalid_idempotency_key")


def test_a_second_key_on_a_checked_out_cart_names_the_existing_order(shop: TestClient) -> None:
    cart_id = ready_cart(shop)
    order_id = checkout(shop, cart_id, "key-1").json()["order_id"]
    error = assert_error(checkout(shop, cart_id, "key-2"), 409, "cart_already_checked_out")
    assert error["details"]["order_id"] == order_id
    assert_error(shop.put(f"/v1/carts/{cart_id}/items/SHIRT", json={"quantity": 1}), 409, "cart_frozen")


def test_an_empty_cart_or_a_physical_cart_without_shipping_cannot_check_out(shop: TestClient) -> None:
    empty = shop.post("/v1/carts", json={"currency": "EUR", "country": "DE"}).json()["id"]
    assert_error(checkout(shop, empty, "k"), 422, "cart_empty")
    unshipped = shop.post("/v1/carts", json={"currency": "EUR", "country": "DE"}).json()["id"]
    shop.put(f"/v1/carts/{unshipped}/items/SHIRT", json={"quantity": 1})
    assert_error(checkout(shop, unshipped, "k"), 422, "shipping_required")
    assert shop.get(f"/v1/carts/{unshipped}").json()["status"] == "open"


def test_a_total_below_the_providers_smallest_charge_is_refused_before_anything_is_held(
    shop: TestClient, engine: Engine, sim: ProviderSimProcess, admin_headers: dict[str, str]
) -> None:
    sticker = {"name": "Sticker", "kind": "digital", "prices": {"EUR": 30}, "tax_class": "zero", "active": True}
    put(shop, admin_headers, "products/STICKER", sticker)
    cart_id = str(new_cart(shop)["id"])
    assert set_item(shop, cart_id, "STICKER", 1).status_code == 200

    error = assert_error(checkout(shop, cart_id, "key-1"), 422, "amount_too_small")
    assert error["details"] == {"total": 30, "currency": "EUR", "minimum": 50}
    assert shop.get(f"/v1/carts/{cart_id}").json()["status"] == "open"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(inventory_reservations)).scalar() == 0
    assert sim.stripe_client().v1.payment_intents.list().data == []


def test_the_intent_names_its_payment_methods_instead_of_taking_the_accounts_defaults(
    shop: TestClient, sim: ProviderSimProcess
) -> None:
    body = checkout(shop, ready_cart(shop), "key-1").json()
    [intent] = intents_for(sim, body["order_id"])
    # Left to the account, Stripe would turn on automatic payment methods with redirects, then refuse a confirm
    # without a return URL.
    assert (intent["payment_method_types"], intent["automatic_payment_methods"]) == (["card"], None)
    assert intent["capture_method"] == "automatic"


def test_the_order_is_visible_to_its_token_holder_only(shop: TestClient) -> None:
    cart_id = ready_cart(shop, {"SHIRT": 1, "EBOOK": 1})
    body = checkout(shop, cart_id, "k").json()
    view = shop.get(f"/v1/orders/{body['order_id']}", headers={"X-Order-Token": body["order_token"]})
    assert view.status_code == 200
    order = view.json()
    assert (order["state"], order["total"], order["fulfillment_status"]) == (
        "payment_pending",
        body["total"],
        "not_started",
    )
    assert [line["sku"] for line in order["lines"]] == ["SHIRT", "EBOOK"]
    assert order["payment"]["provider_payment_id"] == body["payment"]["provider_payment_id"]
    for headers in ({}, {"X-Order-Token": "wrong"}, {"X-Order-Token": body["order_token"][:-1]}):
        assert_error(shop.get(f"/v1/orders/{body['order_id']}", headers=headers), 404, "order_not_found")
    assert_error(
        shop.get("/v1/orders/ord_nope", headers={"X-Order-Token": body["order_token"]}), 404, "order_not_found"
    )


def test_a_coupon_redemption_is_held_with_the_order(shop: TestClient, engine: Engine) -> None:
    from checkout_engine.catalog.redemptions import redeemed_count

    cart_id = ready_cart(shop)
    shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"})
    body = checkout(shop, cart_id, "k").json()
    assert body["total"] == shop.get(f"/v1/carts/{cart_id}").json()["quote"]["total"]
    with engine.connect() as conn:
        assert redeemed_count(conn, "TENOFF") == 1


def test_a_customer_checking_out_too_often_gets_orders_flagged_for_review_not_refused(
    shop: TestClient, engine: Engine, settings: Settings
) -> None:
    settings.velocity_limit_per_hour = 2
    states = [
        checkout(shop, ready_cart(shop, {"EBOOK": 1}, email=f"{case}@example.com"), "k").status_code
        for case in ("Ada", "ada", "ADA")
    ]
    assert states == [201, 201, 201]
    with engine.connect() as conn:
        flags = conn.execute(sa.select(orders.c.needs_review, orders.c.review_reason).order_by(orders.c.created_at))
        assert [tuple(row) for row in flags] == [
            (False, None),
            (False, None),
            (True, "velocity: 3 checkouts within an hour"),
        ]
