"""The storefront cart calls as the contract writes them, with the quote the server computes."""

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import carts
from support.catalog import new_cart, set_item

ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@pytest.mark.sqlite
def test_a_new_cart_is_empty_open_and_has_an_unguessable_id(shop: TestClient) -> None:
    cart = new_cart(shop, customer_id="cus_42", email="ada@example.com")
    assert cart["id"].startswith("cart_") and len(cart["id"]) >= 32
    assert (cart["status"], cart["items"], cart["currency"], cart["customer_id"]) == ("open", [], "EUR", "cus_42")
    assert cart["quote"]["total"] == 0
    assert shop.get(f"/v1/carts/{cart['id']}").json() == cart


@pytest.mark.sqlite
def test_the_quote_follows_items_coupon_shipping_and_tax_country(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    assert set_item(shop, cart_id, "SHIRT", 2).status_code == 200
    assert set_item(shop, cart_id, "BOOK", 1).status_code == 200
    quote = shop.get(f"/v1/carts/{cart_id}").json()["quote"]
    assert [(line["sku"], line["quantity"], line["unit_price"], line["tax"]) for line in quote["lines"]] == [
        ("SHIRT", 2, 2000, 760),  # 19 % of 4000
        ("BOOK", 1, 3490, 244),  # 7 % of 3490 = 244.3
    ]
    assert (quote["subtotal"], quote["tax_total"], quote["total"]) == (7490, 1004, 8494)

    response = shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"})
    assert response.status_code == 200
    quote = response.json()["quote"]
    assert quote["discount_total"] == 749 and [line["discount"] for line in quote["lines"]] == [400, 349]
    assert quote["coupon"] == {"code": "TENOFF", "applied": True, "rejection": None}

    response = shop.put(
        f"/v1/carts/{cart_id}/shipping", json={"address": {**ADDRESS, "country": "FR"}, "method": "standard"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["shipping"] == {"address": {**ADDRESS, "country": "FR"}, "method": "standard"}
    quote = body["quote"]
    assert quote["tax_country"] == "FR" and quote["shipping_total"] == 495
    assert [line["tax_rate_bp"] for line in quote["lines"]] == [2000, 550]
    assert quote["total"] == quote["subtotal"] - quote["discount_total"] + quote["shipping_total"] + quote["tax_total"]

    response = shop.delete(f"/v1/carts/{cart_id}/coupon")
    assert response.status_code == 200 and response.json()["coupon"] is None
    assert response.json()["quote"]["discount_total"] == 0


def test_quantity_zero_removes_a_line_and_setting_again_replaces_the_quantity(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    set_item(shop, cart_id, "SHIRT", 1)
    set_item(shop, cart_id, "EBOOK", 3)
    set_item(shop, cart_id, "SHIRT", 4)
    assert shop.get(f"/v1/carts/{cart_id}").json()["items"] == [
        {"sku": "SHIRT", "quantity": 4},
        {"sku": "EBOOK", "quantity": 3},
    ]
    response = set_item(shop, cart_id, "SHIRT", 0)
    assert response.json()["items"] == [{"sku": "EBOOK", "quantity": 3}]


def test_a_digital_only_cart_is_taxed_by_the_cart_country(shop: TestClient) -> None:
    cart_id = new_cart(shop, country="FR")["id"]
    quote = set_item(shop, cart_id, "EBOOK", 2).json()["quote"]
    assert quote["tax_country"] == "FR" and quote["lines"][0]["tax"] == 110  # 5.5 % of 2000


def test_a_product_deactivated_after_it_was_added_drops_out_of_the_quote_and_is_named(
    shop: TestClient, admin_headers: dict[str, str]
) -> None:
    cart_id = new_cart(shop)["id"]
    set_item(shop, cart_id, "SHIRT", 1)
    set_item(shop, cart_id, "EBOOK", 1)
    shop.put(
        "/admin/v1/products/EBOOK",
        headers=admin_headers,
        json={"name": "E-book", "kind": "digital", "prices": {"EUR": 1000}, "tax_class": "reduced", "active": False},
    )
    quote = shop.get(f"/v1/carts/{cart_id}").json()["quote"]
    assert [line["sku"] for line in quote["lines"]] == ["SHIRT"]
    assert quote["unavailable_skus"] == ["EBOOK"]


def test_a_coupon_whose_minimum_is_no_longer_met_stays_but_discounts_nothing(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    set_item(shop, cart_id, "BOOK", 1)
    assert shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "FIVEEUR"}).json()["quote"]["discount_total"] == 500
    set_item(shop, cart_id, "BOOK", 0)
    set_item(shop, cart_id, "EBOOK", 1)
    quote = shop.get(f"/v1/carts/{cart_id}").json()["quote"]
    assert quote["discount_total"] == 0
    assert quote["coupon"] == {"code": "FIVEEUR", "applied": False, "rejection": "below_min_subtotal"}


@pytest.mark.sqlite
def test_a_frozen_cart_refuses_every_change_and_changes_nothing(shop: TestClient, engine: Engine) -> None:
    cart_id = new_cart(shop)["id"]
    set_item(shop, cart_id, "SHIRT", 1)
    with engine.begin() as conn:  # checkout freezes the cart; here we freeze it directly
        conn.execute(sa.update(carts).where(carts.c.id == cart_id).values(status="frozen"))
    before = shop.get(f"/v1/carts/{cart_id}").json()
    attempts = [
        set_item(shop, cart_id, "SHIRT", 2),
        shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"}),
        shop.delete(f"/v1/carts/{cart_id}/coupon"),
        shop.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "standard"}),
    ]
    for response in attempts:
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "cart_frozen"
    assert shop.get(f"/v1/carts/{cart_id}").json() == before
