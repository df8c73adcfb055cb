"""Logs and what viewers read grant nothing (operations): whole purchases run through the real `serve` and `worker`
processes and the simulator, then every byte those processes wrote, and everything a viewer reads through the
admin API (stored errors, job payloads, webhook events, audit entries, each order side by side), is searched for
each capability the purchases made.

What must hold: no cart id, order token, client secret, download grant, API key or webhook secret is in any log
line, any stored error text or any webhook event a viewer can read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from promises import customer_view, pay, reaches
from sqlalchemy import Engine

from checkout_engine.db.tables import orders
from support.processes import WEBHOOK_SECRET, ApiProcess, Fleet
from support.provider_sim_process import ProviderSimProcess

# What a viewer reads through the admin API (the dashboard shows the same views): stored errors, job payloads,
# webhook events, audit entries, every order side by side.
VIEWER_LISTS = ("/admin/v1/jobs", "/admin/v1/webhook-events", "/admin/v1/audit-log", "/admin/v1/orders")


def _viewer_text(shop: httpx.Client, headers: dict[str, str], order_ids: list[str]) -> str:
    paths = [*VIEWER_LISTS, *(f"/admin/v1/orders/{order_id}" for order_id in order_ids)]
    answers = [
        shop.get(path, params={"limit": 100} if path in VIEWER_LISTS else None, headers=headers) for path in paths
    ]
    assert all(answer.status_code == 200 for answer in answers)
    return "\n".join(answer.text for answer in answers)


def _capabilities(shop: httpx.Client, order: dict[str, Any]) -> dict[str, str]:
    view = customer_view(shop, order)
    found = {
        "order token": order["order_token"],
        "client secret": order["payment"]["client_secret"],
        **{f"grant of {grant['sku']}": grant["grant_token"] for grant in view["downloads"]},
    }
    for grant in view["downloads"]:  # the customer uses the grant: its URL is requested
        assert shop.get(f"/v1/downloads/{grant['grant_token']}").status_code == 200
    return found


def test_no_log_line_and_no_stored_text_holds_a_capability(
    fleet: Fleet,
    api: ApiProcess,
    shop: httpx.Client,
    engine: Engine,
    sim: ProviderSimProcess,
    place: Callable[..., dict[str, Any]],
    admin_headers: dict[str, str],
) -> None:
    secrets = {"admin key": admin_headers["Authorization"].removeprefix("Bearer "), "webhook secret": WEBHOOK_SECRET}
    for items in ({"SHIRT": 1, "EBOOK": 1}, {"EBOOK": 1}):
        order = place(items)
        pay(sim, order)
        reaches(engine, order["order_id"], "fulfilled")
        secrets |= {f"{name} ({order['order_id']})": value for name, value in _capabilities(shop, order).items()}
        refund = shop.post(
            f"/admin/v1/orders/{order['order_id']}/refunds",
            json={"amount": 100, "reason": "goodwill"},
            headers={**admin_headers, "Idempotency-Key": f"goodwill-{order['order_id']}"},
        )
        assert refund.status_code == 201, refund.text
        reaches(engine, order["order_id"], "partially_refunded")
    with engine.connect() as conn:
        carts = list(conn.execute(sa.select(orders.c.cart_id)).scalars())
    secrets |= {f"cart id {cart_id}": cart_id for cart_id in carts}
    for cart_id in carts:  # the storefront reads its carts: their capability URLs are requested
        assert shop.get(f"/v1/carts/{cart_id}").status_code == 200

    with engine.connect() as conn:
        order_ids = list(conn.execute(sa.select(orders.c.id)).scalars())
    viewed = _viewer_text(shop, admin_headers, order_ids)
    assert fleet.stop() == []
    written = {process.name: process.log_text() for process in fleet.processes()}
    written["what a viewer reads"] = viewed
    leaks = [(name, where) for name, value in secrets.items() for where, text in written.items() if value in text]
    assert leaks == []
