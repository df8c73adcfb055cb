"""Malformed input at every checkout, order, download, webhook, refund and reconciliation endpoint: never a 500,
always the contract's error shape."""

from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.checkout import checkout, ready_cart

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
FIELDS = st.sampled_from(["expected_total", "amount", "reason", "note", "id", "type", "data", "object"])
BODIES = JSON | st.dictionaries(FIELDS, JSON, max_size=4)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=300)
HEADER = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, part=TEXT, key=HEADER, token=HEADER, choice=st.integers(min_value=0, max_value=8))
def test_no_input_makes_a_checkout_endpoint_fail(
    shop: TestClient, admin_headers: dict[str, str], body: Any, part: str, key: str, token: str, choice: int
) -> None:
    segment = quote(part, safe="") or "x"
    cart_id = ready_cart(shop, {"EBOOK": 1}) if choice in (0, 1) else segment
    order = checkout(shop, ready_cart(shop, {"EBOOK": 1}), "fixed").json() if choice in (2, 3) else None
    order_id = order["order_id"] if order else segment
    calls = [
        ("POST", f"/v1/carts/{cart_id}/checkout", {"Idempotency-Key": key}),
        ("POST", f"/v1/carts/{cart_id}/checkout", {"Idempotency-Key": "k"}),
        ("GET", f"/v1/orders/{order_id}", {"X-Order-Token": token}),
        ("POST", f"/v1/orders/{order_id}/payment-attempts", {"X-Order-Token": token, "Idempotency-Key": key}),
        ("GET", f"/v1/downloads/{segment}", {}),
        ("POST", "/webhooks/stripe", {"Stripe-Signature": token}),
        ("POST", f"/admin/v1/orders/{order_id}/refunds", {**admin_headers, "Idempotency-Key": key or "k"}),
        ("POST", "/admin/v1/reconciliation/runs", admin_headers),
        ("POST", f"/admin/v1/reconciliation/findings/{segment}/resolve", admin_headers),
    ]
    method, path, headers = calls[choice]
    response = shop.request(method, path, json=body, headers={k: v for k, v in headers.items() if v})
    assert response.status_code < 500, (method, path, body, response.text)
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "details"}
