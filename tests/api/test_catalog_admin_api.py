"""Admin catalog calls: authentication, upserts as the contract writes them, validation, and the audit trail."""

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import audit_log, inventory
from support.http import assert_error

PRODUCT = {
    "name": "Mug",
    "kind": "physical",
    "prices": {"EUR": 1250, "JPY": 1800},
    "tax_class": "standard",
    "active": True,
}


@pytest.mark.sqlite
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "Basic abc", "Bearer "])
def test_admin_calls_without_a_valid_key_are_401_and_change_nothing(
    client: TestClient, authorization: str | None, admin_headers: dict[str, str]
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.put("/admin/v1/products/MUG", json=PRODUCT, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"unauthenticated", "invalid_api_key"}
    assert_error(client.get("/admin/v1/products/MUG", headers=admin_headers), 404, "unknown_sku")


@pytest.mark.sqlite
def test_a_product_upsert_creates_then_replaces_it_including_its_prices(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = client.put("/admin/v1/products/MUG", json=PRODUCT, headers=admin_headers)
    assert created.status_code == 200
    assert created.json() == {"object": "product", "sku": "MUG", **PRODUCT}
    changed = {**PRODUCT, "name": "Big mug", "prices": {"EUR": 1500}, "tax_class": "reduced", "active": False}
    client.put("/admin/v1/products/MUG", json=changed, headers=admin_headers)
    assert client.get("/admin/v1/products/MUG", headers=admin_headers).json() == {
        "object": "product",
        "sku": "MUG",
        **changed,
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**PRODUCT, "prices": {"EUR": 12.5}}, "validation_error"),
        ({**PRODUCT, "prices": {"EUR": -1}}, "validation_error"),
        ({**PRODUCT, "prices": {"ZZZ": 100}}, "invalid_currency"),
        ({**PRODUCT, "kind": "service"}, "validation_error"),
        ({**PRODUCT, "tax_class": "luxury"}, "validation_error"),
        ({**PRODUCT, "colour": "blue"}, "validation_error"),
        ({k: v for k, v in PRODUCT.items() if k != "name"}, "validation_error"),
    ],
)
def test_a_bad_product_is_refused_with_422(
    client: TestClient, admin_headers: dict[str, str], body: dict[str, Any], code: str
) -> None:
    assert_error(client.put("/admin/v1/products/MUG", json=body, headers=admin_headers), 422, code)
    assert client.get("/admin/v1/products/MUG", headers=admin_headers).status_code == 404


@pytest.mark.sqlite
def test_inventory_shows_on_hand_reserved_and_available_and_never_drops_below_reserved(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    client.put("/admin/v1/products/MUG", json=PRODUCT, headers=admin_headers)
    response = client.put("/admin/v1/inventory/MUG", json={"on_hand": 10, "reason": "count"}, headers=admin_headers)
    assert response.json() == {"sku": "MUG", "on_hand": 10, "reserved": 0, "available": 10}
    with engine.begin() as conn:  # open checkouts hold 4
        conn.execute(sa.update(inventory).where(inventory.c.sku == "MUG").values(reserved=4))
    assert client.get("/admin/v1/inventory/MUG", headers=admin_headers).json()["available"] == 6
    refused = client.put("/admin/v1/inventory/MUG", json={"on_hand": 3, "reason": "recount"}, headers=admin_headers)
    error = assert_error(refused, 409, "on_hand_below_reserved")
    assert error["details"]["reserved"] == 4
    assert client.get("/admin/v1/inventory/MUG", headers=admin_headers).json() == {
        "sku": "MUG",
        "on_hand": 10,
        "reserved": 4,
        "available": 6,
    }
    assert_error(
        client.put("/admin/v1/inventory/MUG", json={"on_hand": 5}, headers=admin_headers), 422, "validation_error"
    )
    assert_error(
        client.put("/admin/v1/inventory/NOPE", json={"on_hand": 5, "reason": "x"}, headers=admin_headers),
        404,
        "unknown_sku",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"percent_off": 10, "amount_off": 100, "currency": "EUR"}, "invalid_coupon_terms"),
        ({}, "invalid_coupon_terms"),
        ({"amount_off": 100}, "invalid_coupon_terms"),
        ({"percent_off": 0}, "validation_error"),
        ({"percent_off": 101}, "validation_error"),
        ({"percent_off": 10, "expires_at": "2030-01-01T00:00:00"}, "validation_error"),
        ({"percent_off": 10, "skus": ["bad sku"]}, "validation_error"),
    ],
)
def test_a_coupon_with_contradictory_terms_is_refused(
    client: TestClient, admin_headers: dict[str, str], body: dict[str, Any], code: str
) -> None:
    assert_error(client.put("/admin/v1/coupons/C1", json=body, headers=admin_headers), 422, code)


def test_coupons_shipping_methods_and_tax_rates_are_upserted(client: TestClient, admin_headers: dict[str, str]) -> None:
    coupon = client.put(
        "/admin/v1/coupons/SPRING",
        headers=admin_headers,
        json={
            "amount_off": 500,
            "currency": "EUR",
            "max_redemptions": 100,
            "max_per_customer": 1,
            "expires_at": "2030-01-01T00:00:00Z",
            "skus": ["MUG"],
            "min_subtotal": 2000,
        },
    )
    assert coupon.status_code == 200
    assert coupon.json()["expires_at"] == "2030-01-01T00:00:00+00:00" and coupon.json()["skus"] == ["MUG"]
    method = client.put(
        "/admin/v1/shipping-methods/express",
        headers=admin_headers,
        json={"name": "Express", "prices": {"EUR": 1500}, "countries": ["DE", "AT"]},
    )
    assert method.json()["countries"] == ["DE", "AT"]
    assert_error(
        client.put(
            "/admin/v1/shipping-methods/express",
            headers=admin_headers,
            json={"name": "Express", "prices": {"EUR": 1500}, "countries": ["ZZ"]},
        ),
        422,
        "invalid_country",
    )
    rate = client.put("/admin/v1/tax-rates/AT", headers=admin_headers, json={"standard": 2000, "reduced": 1000})
    assert rate.json() == {"object": "tax_rate", "country": "AT", "standard": 2000, "reduced": 1000}
    assert_error(
        client.put("/admin/v1/tax-rates/AT", headers=admin_headers, json={"standard": 10001, "reduced": 0}),
        422,
        "validation_error",
    )
    assert_error(
        client.put("/admin/v1/tax-rates/ZZ", headers=admin_headers, json={"standard": 1, "reduced": 0}),
        422,
        "invalid_country",
    )


@pytest.mark.sqlite
def test_every_catalog_change_writes_an_audit_entry_with_before_and_after(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    client.put("/admin/v1/products/MUG", json=PRODUCT, headers=admin_headers)
    client.put("/admin/v1/products/MUG", json={**PRODUCT, "name": "Big mug", "reason": "rename"}, headers=admin_headers)
    client.put("/admin/v1/inventory/MUG", json={"on_hand": 7, "reason": "delivery"}, headers=admin_headers)
    with engine.connect() as conn:
        entries = conn.execute(sa.select(audit_log).order_by(audit_log.c.id)).mappings().all()
    assert [(e["action"], e["target_id"], e["reason"], e["actor"], e["role"]) for e in entries] == [
        ("product.upsert", "MUG", "catalog update", "bootstrap-admin", "admin"),
        ("product.upsert", "MUG", "rename", "bootstrap-admin", "admin"),
        ("inventory.set", "MUG", "delivery", "bootstrap-admin", "admin"),
    ]
    assert entries[0]["before"] is None and entries[1]["before"]["name"] == "Mug"
    assert entries[1]["after"]["name"] == "Big mug"
    assert (entries[2]["before"]["on_hand"], entries[2]["after"]["on_hand"]) == (0, 7)
