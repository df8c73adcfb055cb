"""Every limit a bad client can hit: a clear error in the contract's shape, the right status, and no change."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from checkout_engine.cart.model import MAX_LINES
from support.catalog import new_cart, set_item
from support.http import assert_error


@pytest.mark.sqlite
@pytest.mark.parametrize("quantity", [-1, 1001, 10**12, "3", 2.5, True, None])
def test_a_quantity_outside_the_rules_is_refused_as_invalid_quantity(shop: TestClient, quantity: Any) -> None:
    cart_id = new_cart(shop)["id"]
    assert_error(set_item(shop, cart_id, "SHIRT", quantity), 422, "invalid_quantity")
    assert shop.get(f"/v1/carts/{cart_id}").json()["items"] == []


@pytest.mark.parametrize(
    ("sku", "reason"),
    [("NOPE", None), ("OLD", None), ("SHIRT", "not_priced_in_currency")],
    ids=["missing", "inactive", "unpriced"],
)
def test_only_active_products_priced_in_the_cart_currency_can_be_added(
    shop: TestClient, sku: str, reason: str | None
) -> None:
    cart_id = new_cart(shop, currency="USD")["id"] if reason else new_cart(shop)["id"]
    error = assert_error(set_item(shop, cart_id, sku, 1), 422, "unknown_sku")
    assert error["details"]["sku"] == sku
    assert error["details"].get("reason") == reason


@pytest.mark.parametrize(
    ("sku", "code"),
    [
        ("bad%20sku", "invalid_sku"),
        ("a" * 65, "invalid_sku"),
        ("semi;colon", "invalid_sku"),
        ("tab%09", "invalid_characters"),
    ],
)
def test_a_sku_outside_the_pattern_is_refused(shop: TestClient, sku: str, code: str) -> None:
    cart_id = new_cart(shop)["id"]
    assert_error(set_item(shop, cart_id, sku, 1), 422, code)


def test_more_than_the_available_stock_is_refused_with_what_is_available(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    error = assert_error(set_item(shop, cart_id, "BOOK", 4), 422, "insufficient_inventory")
    assert error["details"] == {"sku": "BOOK", "requested": 4, "available": 3}
    assert set_item(shop, cart_id, "BOOK", 3).status_code == 200


def test_the_hundred_and_first_line_is_refused(shop: TestClient, admin_headers: dict[str, str]) -> None:
    for i in range(MAX_LINES + 1):
        shop.put(
            f"/admin/v1/products/D-{i}",
            headers=admin_headers,
            json={"name": f"D{i}", "kind": "digital", "prices": {"EUR": 100}, "tax_class": "zero"},
        )
    cart_id = new_cart(shop)["id"]
    for i in range(MAX_LINES):
        assert set_item(shop, cart_id, f"D-{i}", 1).status_code == 200
    assert_error(set_item(shop, cart_id, f"D-{MAX_LINES}", 1), 422, "too_many_lines")
    assert len(shop.get(f"/v1/carts/{cart_id}").json()["items"]) == MAX_LINES


@pytest.mark.sqlite
def test_a_body_over_64_kib_is_refused_with_413_before_anything_happens(shop: TestClient) -> None:
    padding = "x" * (64 * 1024)
    response = shop.post(
        "/v1/carts",
        content=f'{{"currency": "EUR", "email": "{padding}"}}',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 413, "body_too_large")

    def chunks() -> Any:  # no Content-Length: the limit must hold on the streamed size too
        yield b'{"currency": "EUR", "customer_id": "'
        for _ in range(70):
            yield b"y" * 1024
        yield b'"}'

    assert_error(
        shop.post("/v1/carts", content=chunks(), headers={"content-type": "application/json"}), 413, "body_too_large"
    )


@pytest.mark.sqlite
def test_unknown_fields_are_refused_with_422(shop: TestClient) -> None:
    error = assert_error(shop.post("/v1/carts", json={"currency": "EUR", "total": 1}), 422, "validation_error")
    assert error["details"]["errors"][0]["field"] == "total"
    cart_id = new_cart(shop)["id"]
    assert_error(
        shop.put(f"/v1/carts/{cart_id}/items/SHIRT", json={"quantity": 1, "price": 1}), 422, "validation_error"
    )


@pytest.mark.sqlite
def test_malformed_json_is_a_400(shop: TestClient) -> None:
    response = shop.post("/v1/carts", content=b'{"currency": "EUR"', headers={"content-type": "application/json"})
    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("body", [{"currency": "EURO"}, {"currency": "eur"}, {"currency": "ZZZ"}, {}])
def test_a_cart_needs_a_real_iso_currency(shop: TestClient, body: dict[str, Any]) -> None:
    response = shop.post("/v1/carts", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"invalid_currency", "validation_error"}
    if body:
        assert response.json()["error"]["code"] == "invalid_currency"


@pytest.mark.parametrize("country", ["ZZ", "de", "DEU", "EU"])
def test_a_cart_country_must_be_an_iso_alpha_2_country(shop: TestClient, country: str) -> None:
    assert_error(shop.post("/v1/carts", json={"currency": "EUR", "country": country}), 422, "invalid_country")


def test_an_unknown_cart_is_a_404(shop: TestClient) -> None:
    assert_error(shop.get("/v1/carts/cart_doesnotexist"), 404, "cart_not_found")
    assert_error(set_item(shop, "cart_doesnotexist", "SHIRT", 1), 404, "cart_not_found")


def test_shipping_needs_a_known_method_that_ships_to_the_country(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    address = {"name": "A", "line1": "1 St", "city": "Rome", "postal_code": "00100", "country": "IT"}
    assert_error(
        shop.put(f"/v1/carts/{cart_id}/shipping", json={"address": address, "method": "teleport"}),
        422,
        "invalid_shipping_method",
    )
    error = assert_error(
        shop.put(f"/v1/carts/{cart_id}/shipping", json={"address": address, "method": "standard"}),
        422,
        "shipping_unavailable",
    )
    assert error["details"]["country"] == "IT"
    assert_error(
        shop.put(f"/v1/carts/{cart_id}/shipping", json={"address": {**address, "country": "XX"}, "method": "standard"}),
        422,
        "invalid_country",
    )
    assert_error(
        shop.put(f"/v1/carts/{cart_id}/shipping", json={"address": {"name": "A"}, "method": "standard"}),
        422,
        "validation_error",
    )
    assert shop.get(f"/v1/carts/{cart_id}").json()["shipping"] is None


def test_every_coupon_that_cannot_be_applied_gets_one_answer_and_leaves_the_cart_alone(
    shop: TestClient, admin_headers: dict[str, str]
) -> None:
    """Unknown, expired, other-currency and below-minimum codes answer alike, so a guesser learns nothing."""
    shop.put(
        "/admin/v1/coupons/OLD10", headers=admin_headers, json={"percent_off": 10, "expires_at": "2020-01-01T00:00:00Z"}
    )
    shop.put("/admin/v1/coupons/USD5", headers=admin_headers, json={"amount_off": 500, "currency": "USD"})
    cart_id = new_cart(shop)["id"]
    set_item(shop, cart_id, "SHIRT", 1)
    answers = []
    for code in ["NOPE", "OLD10", "USD5", "FIVEEUR"]:
        error = assert_error(shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": code}), 422, "invalid_coupon")
        answers.append(error)
    assert all(answer == answers[0] for answer in answers), answers
    assert answers[0]["details"] == {}
    assert shop.get(f"/v1/carts/{cart_id}").json()["coupon"] is None


@pytest.mark.sqlite
def test_repeated_coupon_failures_on_a_cart_are_rate_limited_even_for_a_valid_code(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    set_item(shop, cart_id, "SHIRT", 1)
    for attempt in range(5):
        assert_error(shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": f"GUESS{attempt}"}), 422, "invalid_coupon")
    response = shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"})
    assert_error(response, 429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) > 0
    assert shop.get(f"/v1/carts/{cart_id}").json()["coupon"] is None


def test_unknown_routes_and_methods_answer_in_the_error_shape(shop: TestClient) -> None:
    assert_error(shop.get("/v1/nothing-here"), 404, "not_found")
    assert_error(shop.delete("/v1/carts"), 405, "method_not_allowed")
