"""A buyer of a sold-out item is refused before the checkout writes anything: at the hot SKU's sell-out nearly
every buyer is refused, and each refusal should cost a few reads, not an order built and rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from support.catalog import put
from support.checkout import checkout, ready_cart
from support.http import assert_error


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_checkout_of_a_sold_out_item_is_refused_before_any_write(
    shop: TestClient, engine: Engine, admin_headers: dict[str, str]
) -> None:
    cart_id = ready_cart(shop, {"SHIRT": 2})
    put(shop, admin_headers, "inventory/SHIRT", {"on_hand": 1, "reason": "one left"})
    with statements_sent(engine) as sent:
        error = assert_error(checkout(shop, cart_id, "k"), 409, "insufficient_inventory")
    assert error["details"] == {"sku": "SHIRT", "requested": 2}
    writes = [s for s in sent if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    # The idempotency key with its stored answer, and nothing else: no order, hold or frozen cart was attempted.
    assert writes and all("idempotency_keys" in s.split(" (")[0] for s in writes), writes
    assert checkout(shop, cart_id, "k").headers["Idempotent-Replayed"] == "true"  # the refusal was stored
    put(shop, admin_headers, "inventory/SHIRT", {"on_hand": 2, "reason": "restocked"})
    assert checkout(shop, cart_id, "k2").status_code == 201  # the cart was left as it was
