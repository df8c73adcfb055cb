"""Two approvers press at the same moment: support asked for a refund beyond its limit, and two finance staff approve
the request at once, against the API process, with the worker processes submitting refunds to the provider.

What must hold: the refund is carried out exactly once. One approval answers 200 with the refund, the other 409
`approval_not_pending`; the provider holds one refund, for the amount asked; the order ends `refunded` once."""

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from promises import pay, reaches, refunded_amounts
from sqlalchemy import Engine

from checkout_engine.admin import keys
from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import refunds
from support.provider_sim_process import ProviderSimProcess


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    return {"CHECKOUT_SUPPORT_REFUND_LIMIT": "100"}


@pytest.fixture
def worker_count() -> int:
    return 2


def key_for(engine: Engine, name: str, role: Role) -> dict[str, str]:
    with engine.begin() as conn:
        _, key = keys.create(conn, name=name, role=role)
    return {"Authorization": f"Bearer {key}"}


def test_two_approvers_at_once_make_one_refund(
    shop: httpx.Client,
    engine: Engine,
    sim: ProviderSimProcess,
    place: Callable[..., dict[str, Any]],
) -> None:
    support = key_for(engine, "ana", Role.SUPPORT)
    approvers = [key_for(engine, "fin", Role.FINANCE), key_for(engine, "fay", Role.FINANCE)]
    order = place()
    intent = pay(sim, order)
    reaches(engine, order["order_id"], "fulfilled")
    asked = shop.post(
        f"/admin/v1/orders/{order['order_id']}/refunds",
        json={"amount": order["total"], "reason": "parcel lost"},
        headers={**support, "Idempotency-Key": "lost-parcel"},
    )
    assert asked.status_code == 202, asked.text
    approval_id = asked.json()["approval_request"]["id"]

    start = threading.Barrier(len(approvers))
    answers: list[httpx.Response] = []

    def approve(headers: dict[str, str]) -> None:
        with httpx.Client(base_url=str(shop.base_url), timeout=60) as client:
            start.wait()
            answers.append(
                client.post(f"/admin/v1/approvals/{approval_id}/approve", json={"reason": "agreed"}, headers=headers)
            )

    threads = [threading.Thread(target=approve, args=(headers,)) for headers in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answer.status_code for answer in answers) == [200, 409], [a.text for a in answers]
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert refused.json()["error"]["code"] == "approval_not_pending"

    reaches(engine, order["order_id"], "refunded")
    assert refunded_amounts(sim, intent["id"]) == [order["total"]]
    with engine.connect() as conn:
        made = conn.execute(sa.select(refunds.c.approval_id, refunds.c.status, refunds.c.requested_by)).all()
    assert made == [(approval_id, "succeeded", "key:ana")]
