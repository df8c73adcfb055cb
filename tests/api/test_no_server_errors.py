"""Whatever a client sends to the storefront and admin catalog calls, the answer is never a 500."""

from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.catalog import new_cart

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "currency",
        "quantity",
        "code",
        "address",
        "method",
        "country",
        "email",
        "customer_id",
        "name",
        "prices",
        "kind",
        "tax_class",
        "on_hand",
        "reason",
        "percent_off",
        "amount_off",
        "expires_at",
        "skus",
        "standard",
        "reduced",
        "countries",
    ]
)
BODIES = JSON | st.dictionaries(FIELDS, JSON, max_size=6)
PATH_PARTS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"), min_size=1, max_size=70
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, part=PATH_PARTS, choice=st.integers(min_value=0, max_value=9))
def test_no_request_body_or_path_makes_the_server_fail(
    shop: TestClient, admin_headers: dict[str, str], body: Any, part: str, choice: int
) -> None:
    part = quote(part, safe="")
    cart_id = new_cart(shop)["id"] if choice < 5 else part
    calls = [
        ("POST", "/v1/carts"),
        ("PUT", f"/v1/carts/{cart_id}/items/{part}"),
        ("PUT", f"/v1/carts/{cart_id}/shipping"),
        ("PUT", f"/v1/carts/{cart_id}/coupon"),
        ("PUT", f"/admin/v1/products/{part}"),
        ("PUT", f"/admin/v1/inventory/{part}"),
        ("PUT", f"/admin/v1/coupons/{part}"),
        ("PUT", f"/admin/v1/shipping-methods/{part}"),
        ("PUT", f"/admin/v1/tax-rates/{part}"),
        ("PUT", f"/v1/carts/{cart_id}/items/SHIRT"),
    ]
    method, path = calls[choice]
    response = shop.request(method, path, json=body, headers=admin_headers)
    assert response.status_code < 500, (method, path, body, response.text)
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "details"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/x-www-form-urlencoded"]),
)
def test_no_raw_body_makes_the_server_fail(
    shop: TestClient, admin_headers: dict[str, str], raw: bytes, content_type: str
) -> None:
    cart_id = new_cart(shop)["id"]
    for method, path in [
        ("POST", "/v1/carts"),
        ("PUT", f"/v1/carts/{cart_id}/items/SHIRT"),
        ("PUT", "/admin/v1/products/SHIRT"),
    ]:
        response = shop.request(method, path, content=raw, headers={**admin_headers, "content-type": content_type})
        assert 400 <= response.status_code < 500, (method, path, raw, response.text)
