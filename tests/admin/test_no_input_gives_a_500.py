"""Hostile input found by fuzzing the API from its own OpenAPI description: each of these was a 500. Now each is a
4xx in the contract's error shape, and nothing of it is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import audit_log, carts, idempotency_keys, refunds
from support.catalog import new_cart
from support.http import assert_error

Fulfilled = Callable[..., dict[str, Any]]


def rows(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        count: int = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return count


def post_raw(shop: TestClient, path: str, raw: str, headers: dict[str, str] | None = None) -> Any:
    """A JSON body written by hand: the escapes below are what a client sends, not what Python would encode."""
    return shop.post(path, content=raw.encode(), headers={"content-type": "application/json", **(headers or {})})


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\u001b"])
def test_a_nul_control_or_lone_surrogate_in_a_cart_field_is_refused_and_stores_nothing(
    shop: TestClient, engine: Engine, escape: str
) -> None:
    before = rows(engine, carts)
    answer = post_raw(shop, "/v1/carts", f'{{"currency": "EUR", "email": "a{escape}b@example.com"}}')
    error = assert_error(answer, 422, "invalid_characters")
    assert error["details"]["fields"] == ["email"]
    assert rows(engine, carts) == before


def test_a_nul_in_a_refund_reason_is_refused_and_stores_nothing(
    shop: TestClient, engine: Engine, admin_headers: dict[str, str], fulfilled: Fulfilled
) -> None:
    order = fulfilled()
    before = (rows(engine, refunds), rows(engine, idempotency_keys), rows(engine, audit_log))
    answer = post_raw(
        shop,
        f"/admin/v1/orders/{order['order_id']}/refunds",
        '{"amount": 100, "reason": "goodwill\\u0000"}',
        {**admin_headers, "Idempotency-Key": "nul-reason"},
    )
    assert_error(answer, 422, "invalid_characters")
    assert (rows(engine, refunds), rows(engine, idempotency_keys), rows(engine, audit_log)) == before


def test_a_nul_in_a_nested_field_or_a_key_is_refused(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    address = '{"name": "A", "line1": "B\\u0000", "city": "C", "postal_code": "1", "country": "DE"}'
    answer = shop.put(
        f"/v1/carts/{cart_id}/shipping",
        content=f'{{"address": {address}, "method": "standard"}}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert assert_error(answer, 422, "invalid_characters")["details"]["fields"] == ["address.line1"]
    answer = post_raw(shop, "/v1/carts", '{"currency": "EUR", "x\\u0000": 1}')
    assert_error(answer, 422, "invalid_characters")


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/carts/abc%00def", 422, "invalid_characters"),
        ("/v1/carts/cart_%0a", 422, "invalid_characters"),
        ("/v1/carts/%FF%FE", 400, "malformed_url"),
        ("/v1/carts/%ED%A0%80", 400, "malformed_url"),  # a surrogate, encoded: not UTF-8
        ("/v1/carts/%F4%8B%B4%88", 404, "cart_not_found"),  # UTF-8, but no cart id looks like it
        ("/v1/carts/cart_nosuchcart", 404, "cart_not_found"),
        ("/v1/downloads/%00", 422, "invalid_characters"),
        ("/v1/downloads/short", 404, "download_not_found"),
    ],
)
def test_a_storefront_path_id_that_is_not_plain_text_or_no_id_is_refused(
    shop: TestClient, path: str, status: int, code: str
) -> None:
    assert_error(shop.get(path), status, code)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/admin/v1/orders/%F4%8B%B4%88%F4%8B%B4%88", 404, "order_not_found"),
        ("/admin/v1/orders/ord_%C3%28", 400, "malformed_url"),
        ("/admin/v1/orders/ord_abc%00", 422, "invalid_characters"),
        ("/admin/v1/audit-log?action=a%00b", 422, "invalid_characters"),
        ("/admin/v1/webhook-events?order_id=%FF", 400, "malformed_url"),
        ("/admin/v1/orders?created_gte=9999-12-31T23:59:59-07:59", 422, "validation_error"),
    ],
)
def test_an_admin_path_or_query_that_is_not_plain_text_or_no_id_is_refused(
    shop: TestClient, admin_headers: dict[str, str], path: str, status: int, code: str
) -> None:
    assert_error(shop.get(path, headers=admin_headers), status, code)


def test_a_timestamp_with_an_unusual_offset_inside_the_bounds_is_a_filter(
    shop: TestClient, admin_headers: dict[str, str]
) -> None:
    answer = shop.get("/admin/v1/orders", params={"created_gte": "2318-12-17T18:07:21+07:59"}, headers=admin_headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == []


def test_an_order_token_of_the_wrong_shape_is_the_same_404_as_a_wrong_one(shop: TestClient) -> None:
    order_id = "ord_" + "a" * 32
    for token in [b"x", "é".encode("latin-1") * 43, b"a" * 43]:
        answer = shop.get(f"/v1/orders/{order_id}", headers={"X-Order-Token": token})
        assert_error(answer, 404, "order_not_found")
    assert_error(shop.get(f"/v1/orders/{order_id}"), 404, "order_not_found")


def test_a_non_ascii_signature_is_a_counted_400(shop: TestClient) -> None:
    before = _signature_failures(shop)
    answer = shop.post(
        "/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=\xe9\xe9".encode("latin-1")}
    )
    assert answer.status_code == 400, answer.text
    assert _signature_failures(shop) == before + 1


def _signature_failures(shop: TestClient) -> float:
    for line in shop.get("/metrics").text.splitlines():
        if line.startswith("checkout_webhook_signature_failures_total "):
            return float(line.split()[1])
    return 0.0
