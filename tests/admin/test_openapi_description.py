"""The OpenAPI description is the real API: every answer an operation can give is documented with the contract's
error object, the codes it names are codes the API gives, and input the schemas admit is input the API takes.
The regressions below were admitted by the schema and then refused or failed by the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

import checkout_engine
from support.catalog import new_cart
from support.checkout import ADDRESS
from support.http import assert_error

Fulfilled = Callable[..., dict[str, Any]]

ERROR_REF = "#/components/schemas/ErrorAnswer"
SOURCE = Path(checkout_engine.__file__).parent


@pytest.fixture
def description(shop: TestClient) -> dict[str, Any]:
    answer = shop.get("/openapi.json")
    assert answer.status_code == 200
    spec: dict[str, Any] = answer.json()
    return spec


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_every_error_an_operation_can_give_is_documented_with_the_error_object(description: dict[str, Any]) -> None:
    for method, path, op in operations(description):
        errors = {status: answer for status, answer in op["responses"].items() if status.startswith(("4", "5"))}
        assert {"400", "422"} <= errors.keys(), f"{method} {path}: the URL check's answers"
        for status, answer in errors.items():
            if (path, status) == ("/readyz", "503"):
                continue  # the readiness answer, in the shape load balancers and operators read
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, f"{method} {path} {status}"
        if path.startswith("/admin/"):
            assert {"401", "403"} <= errors.keys(), f"{method} {path}"
            assert op["security"] == [{"admin_api_key": []}], f"{method} {path}"
        if op.get("requestBody"):
            assert "413" in errors, f"{method} {path}: a body may be too large"


def test_every_error_code_the_description_names_is_one_the_api_gives(description: dict[str, Any]) -> None:
    named = {
        code
        for _, _, op in operations(description)
        for status, answer in op["responses"].items()
        if status.startswith(("4", "5"))
        for code in re.findall(r"`([a-z_]+)`", answer["description"])
    }
    source = "\n".join(path.read_text() for path in SOURCE.rglob("*.py") if path.name != "answers.py")
    given = set(re.findall(r'code\s*(?::\s*str\s*)?=\s*"([a-z_]+)"', source))
    given |= set(re.findall(r'"([a-z_]+)"', source)) & named  # codes raised from a table of answers
    assert len(named) > 40
    assert named - given == set()


def test_the_headers_of_keyed_calls_and_the_order_token_are_declared(description: dict[str, Any]) -> None:
    keyed = [
        ("post", "/v1/carts/{cart_id}/checkout"),
        ("post", "/v1/orders/{order_id}/payment-attempts"),
        ("post", "/admin/v1/orders/{order_id}/refunds"),
    ]
    for method, path in keyed:
        headers = {p["name"]: p for p in description["paths"][path][method]["parameters"] if p["in"] == "header"}
        assert headers["Idempotency-Key"]["required"] is True
        assert headers["Idempotency-Key"]["schema"]["maxLength"] == 255
        assert "Idempotent-Replayed" in description["paths"][path][method]["responses"]["201"]["headers"]
    order = description["paths"]["/v1/orders/{order_id}"]["get"]
    assert [p["name"] for p in order["parameters"] if p["in"] == "header"] == ["X-Order-Token"]


def test_currencies_and_countries_are_enums_of_what_the_api_takes(description: dict[str, Any]) -> None:
    schemas = description["components"]["schemas"]
    cart = schemas["CreateCart"]["properties"]
    assert {"EUR", "JPY", "KWD"} <= set(cart["currency"]["enum"])
    assert not {"eur", "ABC", "EURO"} & set(cart["currency"]["enum"])
    assert "DE" in schemas["Address"]["properties"]["country"]["enum"]


def assert_described(spec: dict[str, Any], name: str, answer: dict[str, Any]) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(answer)]
    assert problems == [], f"{name}: {problems}"


def test_the_storefront_answers_are_what_the_description_says(
    shop: TestClient, description: dict[str, Any], fulfilled: Fulfilled
) -> None:
    cart = new_cart(shop, email="a@example.com")
    assert_described(description, "CartAnswer", cart)
    cart_id = cart["id"]
    for sku in ("SHIRT", "EBOOK"):
        assert_described(
            description, "CartAnswer", shop.put(f"/v1/carts/{cart_id}/items/{sku}", json={"quantity": 1}).json()
        )
    shipped = shop.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "standard"}).json()
    couponed = shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"}).json()
    for answer in (shipped, couponed, shop.get(f"/v1/carts/{cart_id}").json()):
        assert_described(description, "CartAnswer", answer)
    assert couponed["quote"]["coupon"]["applied"] and couponed["quote"]["shipping"]["price"] > 0

    order = fulfilled({"SHIRT": 1, "EBOOK": 1}, email="a@example.com")
    assert_described(description, "CheckoutAnswer", order)
    view = shop.get(f"/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]}).json()
    assert_described(description, "CustomerOrder", view)
    assert view["downloads"] and view["payment"]["status"] == "succeeded"  # the optional parts were there to check


def test_a_coupon_count_beyond_what_is_stored_is_a_422(shop: TestClient, admin_headers: dict[str, str]) -> None:
    for field in ("max_redemptions", "max_per_customer"):
        body = {"percent_off": 10, field: 2**63, "reason": "spring"}
        answer = shop.put("/admin/v1/coupons/HUGE", json=body, headers=admin_headers)
        assert_error(answer, 422, "validation_error")
    assert shop.put("/admin/v1/coupons/HUGE", json={"percent_off": 10, "reason": "x"}, headers=admin_headers).is_success


def test_a_timestamp_written_as_a_number_is_a_422(shop: TestClient, admin_headers: dict[str, str]) -> None:
    for moment in (0.5, 1767225600, True):
        body = {"percent_off": 10, "expires_at": moment, "reason": "spring"}
        answer = shop.put("/admin/v1/coupons/WHEN", json=body, headers=admin_headers)
        assert_error(answer, 422, "validation_error")
    answer = shop.get("/admin/v1/orders", params={"created_gte": "1767225600"}, headers=admin_headers)
    assert_error(answer, 422, "validation_error")


def test_an_idempotency_key_outside_printable_ascii_is_a_400(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    for key in ("clé-1".encode(), b"tab\tkey"):
        answer = shop.post(f"/v1/carts/{cart_id}/checkout", json={}, headers={"Idempotency-Key": key})  # type: ignore[dict-item]
        assert_error(answer, 400, "invalid_idempotency_key")


def test_a_405_allows_every_method_the_path_has(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    answer = shop.post(f"/v1/carts/{cart_id}/coupon", json={"code": "X"})
    assert_error(answer, 405, "method_not_allowed")
    assert sorted(method.strip() for method in answer.headers["Allow"].split(",")) == ["DELETE", "PUT"]
