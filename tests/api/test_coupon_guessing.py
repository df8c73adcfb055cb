"""Coupon guessing: limits per client address and per cart that hold across new carts, concurrent requests and
proxies, and answers that never tell a guesser whether a code exists."""

import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.api.app import create_app
from checkout_engine.settings import Settings
from support.catalog import new_cart, set_item
from support.http import assert_error
from support.live_server import serve_in_thread

LIMIT = 5  # the default coupon_failure_limit
PROXY = "10.0.0.2"


def _from(app: FastAPI, address: str) -> TestClient:
    """A client whose connection comes from ``address``."""
    return TestClient(app, client=(address, 40000))


def _try(client: TestClient, cart_id: str, code: str, **headers: str) -> httpx.Response:
    return client.put(f"/v1/carts/{cart_id}/coupon", json={"code": code}, headers=headers)


@pytest.fixture
def behind_proxy(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    """The API as deployed behind a proxy in 10.0.0.0/8 that it trusts."""
    trusting = Settings(**{**settings.model_dump(), "trusted_proxies": "10.0.0.0/8"})
    yield create_app(trusting, engine=engine)


def test_the_address_limit_holds_across_new_carts_and_refuses_even_a_valid_code(shop: TestClient) -> None:
    client = _from(shop.app, "198.51.100.7")
    for attempt in range(LIMIT):
        assert_error(_try(client, new_cart(client)["id"], f"GUESS{attempt}"), 422, "invalid_coupon")
    cart_id = new_cart(client)["id"]
    set_item(client, cart_id, "SHIRT", 1)
    response = _try(client, cart_id, "TENOFF")
    error = assert_error(response, 429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) == error["details"]["retry_after_seconds"] > 0
    other = _from(shop.app, "198.51.100.8")  # another customer is not locked out
    assert_error(_try(other, new_cart(other)["id"], "NOPE"), 422, "invalid_coupon")


def test_over_the_limit_a_valid_and_an_unknown_code_get_the_same_refusal(shop: TestClient) -> None:
    client = _from(shop.app, "198.51.100.7")
    cart_id = new_cart(client)["id"]
    for attempt in range(LIMIT):
        _try(client, cart_id, f"GUESS{attempt}")
    valid, unknown = _try(client, cart_id, "TENOFF"), _try(client, cart_id, "NOPE")
    assert valid.status_code == unknown.status_code == 429
    assert valid.json() == unknown.json()


def test_the_cart_limit_holds_when_every_attempt_comes_from_another_address(shop: TestClient) -> None:
    cart_id = new_cart(shop)["id"]
    for attempt in range(LIMIT):
        assert_error(_try(_from(shop.app, f"198.51.100.{attempt}"), cart_id, "NOPE"), 422, "invalid_coupon")
    assert_error(_try(_from(shop.app, "203.0.113.99"), cart_id, "TENOFF"), 429, "too_many_attempts")


def test_a_code_that_applies_costs_no_attempt(shop: TestClient) -> None:
    client = _from(shop.app, "198.51.100.7")
    cart_id = new_cart(client)["id"]
    set_item(client, cart_id, "SHIRT", 1)
    for attempt in range(LIMIT - 1):
        _try(client, cart_id, f"GUESS{attempt}")
    for _ in range(3):
        assert _try(client, cart_id, "TENOFF").status_code == 200
    assert_error(_try(client, cart_id, "LAST"), 422, "invalid_coupon")
    assert_error(_try(client, cart_id, "TENOFF"), 429, "too_many_attempts")


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(behind_proxy: FastAPI) -> None:
    client = _from(behind_proxy, "198.51.100.7")
    for attempt in range(LIMIT):
        forged = {"X-Forwarded-For": f"203.0.113.{attempt}"}  # a new address each time would dodge the limit
        assert_error(_try(client, new_cart(client)["id"], "NOPE", **forged), 422, "invalid_coupon")
    refused = _try(client, new_cart(client)["id"], "NOPE", **{"X-Forwarded-For": "203.0.113.200"})
    assert_error(refused, 429, "too_many_attempts")


def test_behind_a_trusted_proxy_each_customer_has_a_limit_of_their_own(behind_proxy: FastAPI) -> None:
    proxy = _from(behind_proxy, PROXY)
    guesser = {"X-Forwarded-For": "203.0.113.5"}
    for _ in range(LIMIT):
        assert_error(_try(proxy, new_cart(proxy)["id"], "NOPE", **guesser), 422, "invalid_coupon")
    assert_error(_try(proxy, new_cart(proxy)["id"], "NOPE", **guesser), 429, "too_many_attempts")
    # The proxy's own address is not locked out: another customer behind it still gets a real answer,
    # and the guesser cannot escape by writing another address left of the proxy's entry.
    assert_error(
        _try(proxy, new_cart(proxy)["id"], "NOPE", **{"X-Forwarded-For": "198.51.100.9"}), 422, "invalid_coupon"
    )
    escaping = {"X-Forwarded-For": "198.51.100.77, 203.0.113.5"}
    assert_error(_try(proxy, new_cart(proxy)["id"], "NOPE", **escaping), 429, "too_many_attempts")


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_guesses_on_new_carts_from_one_address_never_pass_the_limit(
    settings: Settings, engine: Engine, round_: int
) -> None:
    """Many carts, one address, all at once at the boundary: exactly the limit of them get an answer."""
    contenders = 4 * LIMIT
    with serve_in_thread(create_app(settings, engine=engine)) as base_url, httpx.Client(base_url=base_url) as setup:
        carts = [setup.post("/v1/carts", json={"currency": "EUR"}).json()["id"] for _ in range(contenders)]
        barrier = threading.Barrier(contenders)
        statuses: list[int] = []
        lock = threading.Lock()

        def guess(cart_id: str) -> None:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                barrier.wait(timeout=10)
                status = client.put(f"/v1/carts/{cart_id}/coupon", json={"code": "NOPE"}).status_code
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=guess, args=(cart_id,)) for cart_id in carts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(statuses) == [422] * LIMIT + [429] * (contenders - LIMIT)
