"""Crash mid-checkout: the API process is SIGKILLed in the middle of a checkout — after it wrote the order and held
the stock but while its call to create the payment intent was still unanswered, either before the provider did
anything or after the provider made the intent. The customer's request never gets an answer. A new API process
comes up; the customer retries with the same Idempotency-Key, or never comes back.

What must hold: the checkout is finished from its recovery point, never started again: one order, one set of stock
holds, one intent at the provider (the very one made before the crash, if there was one); the customer's retry
waits out the dead request's lock (409 `idempotency_key_in_use`) and then gets the order; a customer who never
returns has the worker processes finish it, and a late retry replays that answer. Paying it takes money once."""

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from promises import a_ready_cart, assert_charged_once, check_out, order_state, pay, reaches, stock
from sqlalchemy import Engine

from checkout_engine.db.tables import idempotency_keys, orders, payment_attempts
from support.catalog import seed_catalog
from support.checkout import intents_for
from support.processes import ApiProcess, Fleet, HangingProvider, eventually, send_webhooks_to
from support.provider_sim_process import ProviderSimProcess

KEY = "pay-now"


@pytest.fixture
def worker_count() -> int:
    """No worker until the test starts some: the crash and the customer's retry come first."""
    return 0


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    """A dead request's lock runs out after 2 s; a provider call is waited on long enough to be killed in it."""
    return {"CHECKOUT_IDEMPOTENCY_LOCK_SECONDS": "2", "CHECKOUT_PROVIDER_TIMEOUT_SECONDS": "60"}


@contextmanager
def open_shop(api: ApiProcess, admin_headers: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.url, timeout=60) as client:
        seed_catalog(cast(TestClient, client), admin_headers)
        yield client


def submit_in_background(pool: ThreadPoolExecutor, api: ApiProcess, cart_id: str) -> Future[httpx.Response]:
    """The customer's checkout request, which the test expects never to be answered."""
    return pool.submit(
        httpx.post,
        f"{api.url}/v1/carts/{cart_id}/checkout",
        headers={"Idempotency-Key": KEY},
        json={},
        timeout=120,
    )


def kill_mid_request(api: ApiProcess, request: Future[httpx.Response]) -> None:
    api.kill()
    assert isinstance(request.exception(timeout=30), httpx.TransportError)  # the customer never got an answer


def half_done(engine: Engine) -> dict[str, Any]:
    """What the dead request left: a draft order holding its stock, its key at the recovery point, an attempt
    without an intent of ours."""
    with engine.connect() as conn:
        [order] = conn.execute(sa.select(orders.c.id, orders.c.state)).all()
        [key] = conn.execute(sa.select(idempotency_keys.c.recovery_point, idempotency_keys.c.lock_token)).all()
        [attempt] = conn.execute(sa.select(payment_attempts.c.id, payment_attempts.c.provider_payment_id)).all()
    assert order.state == "draft"
    assert key.recovery_point == "order_created" and key.lock_token is not None
    assert attempt.provider_payment_id is None
    assert stock(engine, "SHIRT") == (10, 2)
    return {"order_id": order.id, "attempt_id": attempt.id}


def retry_until_answered(shop: httpx.Client, cart_id: str) -> httpx.Response:
    """The customer presses Pay again until answered; while the dead request's lock is fresh the key is in use."""
    answers: list[httpx.Response] = []

    def answered() -> httpx.Response | None:
        answers.append(check_out(shop, cart_id, KEY))
        return answers[-1] if answers[-1].status_code != 409 else None

    final = eventually(answered, what="the retry to get past the dead request's lock")
    assert {a.json()["error"]["code"] for a in answers[:-1]} <= {"idempotency_key_in_use"}
    return final


def assert_finished_once(engine: Engine, sim: ProviderSimProcess, answer: httpx.Response, order_id: str) -> None:
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["order_id"], body["state"]) == (order_id, "payment_pending")
    assert order_state(engine, order_id) == "payment_pending"
    [intent] = intents_for(sim, order_id)
    assert intent["id"] == body["payment"]["provider_payment_id"]
    assert stock(engine, "SHIRT") == (10, 2)


def test_an_api_killed_before_the_provider_heard_of_the_payment_is_finished_by_the_customers_retry(
    fleet: Fleet, engine: Engine, sim: ProviderSimProcess, admin_headers: dict[str, str]
) -> None:
    with HangingProvider() as hanging, ThreadPoolExecutor(1) as pool:
        dying = fleet.start(CHECKOUT_STRIPE_API_BASE=hanging.url)
        with open_shop(dying, admin_headers) as shop:
            cart_id = a_ready_cart(shop)
        request = submit_in_background(pool, dying, cart_id)
        eventually(lambda: hanging.requests, what="the API to call the provider")
        assert hanging.requests[0].startswith(b"POST /v1/payment_intents")
        kill_mid_request(dying, request)
    left = half_done(engine)
    assert intents_for(sim, left["order_id"]) == []  # the provider never heard of it

    api = fleet.start()  # the API comes back (its supervisor restarted it)
    with httpx.Client(base_url=api.url, timeout=60) as shop:
        answer = retry_until_answered(shop, cart_id)
        assert "Idempotent-Replayed" not in answer.headers  # the retry itself finished it
        assert_finished_once(engine, sim, answer, left["order_id"])

    send_webhooks_to(sim, api)
    fleet.start_workers(1)
    pay(sim, answer.json())
    reaches(engine, left["order_id"], "fulfilled")
    assert_charged_once(sim, left["order_id"], answer.json()["total"])


def test_an_api_killed_after_the_provider_made_the_intent_is_finished_with_that_very_intent(
    fleet: Fleet, engine: Engine, sim: ProviderSimProcess, admin_headers: dict[str, str]
) -> None:
    dying = fleet.start()
    with open_shop(dying, admin_headers) as shop, ThreadPoolExecutor(1) as pool:
        cart_id = a_ready_cart(shop)
        sim.add_fault("POST", "/v1/payment_intents", "timeout_after_commit", count=1)
        request = submit_in_background(pool, dying, cart_id)
        made = eventually(
            lambda: sim.stripe_client().v1.payment_intents.list().data, what="the provider to make the intent"
        )
        kill_mid_request(dying, request)
    left = half_done(engine)
    [intent] = intents_for(sim, left["order_id"])
    assert intent["id"] == made[0].id and intent["metadata"]["payment_attempt_id"] == left["attempt_id"]

    api = fleet.start()
    with httpx.Client(base_url=api.url, timeout=60) as shop:
        answer = retry_until_answered(shop, cart_id)
        assert_finished_once(engine, sim, answer, left["order_id"])
    assert answer.json()["payment"]["provider_payment_id"] == intent["id"]  # found, not made again

    send_webhooks_to(sim, api)
    fleet.start_workers(1)
    pay(sim, answer.json())
    reaches(engine, left["order_id"], "fulfilled")
    assert_charged_once(sim, left["order_id"], answer.json()["total"])


def test_the_workers_finish_a_checkout_whose_api_died_and_whose_customer_never_came_back(
    fleet: Fleet, engine: Engine, sim: ProviderSimProcess, admin_headers: dict[str, str]
) -> None:
    with HangingProvider() as hanging, ThreadPoolExecutor(1) as pool:
        dying = fleet.start(CHECKOUT_STRIPE_API_BASE=hanging.url)
        with open_shop(dying, admin_headers) as shop:
            cart_id = a_ready_cart(shop)
        request = submit_in_background(pool, dying, cart_id)
        eventually(lambda: hanging.requests, what="the API to call the provider")
        kill_mid_request(dying, request)
    left = half_done(engine)

    api = fleet.start(workers=2)  # both race to complete the abandoned checkout
    send_webhooks_to(sim, api)
    reaches(engine, left["order_id"], "payment_pending")  # the workers' completer finished it
    [intent] = intents_for(sim, left["order_id"])
    with httpx.Client(base_url=api.url, timeout=60) as shop:
        late = check_out(shop, cart_id, KEY)  # the customer comes back after all
    assert late.status_code == 201 and late.headers["Idempotent-Replayed"] == "true"
    assert_finished_once(engine, sim, late, left["order_id"])

    pay(sim, late.json())
    reaches(engine, left["order_id"], "fulfilled")
    assert_charged_once(sim, left["order_id"], late.json()["total"])
    assert [i["id"] for i in intents_for(sim, left["order_id"])] == [intent["id"]]
