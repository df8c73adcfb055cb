"""Incident 0002 — 2026-11-25, found by the chaos run (journey `two_tabs`), fixed in f10184b.

Symptom: an order paid twice — its declined first payment paid again in one browser tab while a new payment
attempt was paid in another — ended with the wrong money given back. When the newer attempt paid first, the older
payment was rightly refunded as the duplicate but the order then moved to ``refunded`` while the provider kept the
newer payment. When the older attempt paid first, the newer payment was rightly refunded, but seeing the older
payment's ``payment_intent.succeeded`` again (a duplicate delivery, a replay) refunded it as well: a fulfilled
order with all its money given back; and seeing the refunded duplicate's success again failed its event for good
(``RefundExceedsCaptured``).

Root cause: the refund code took the first *created* succeeded attempt as the order's payment, and the judgement
of a success on a paid order did not know which payment had paid it nor that a duplicate refund was already
decided.

Fix: the order keeps the attempt whose success made it paid (``refunds.paying_attempt``); any other success is
refunded in full, once (``payments/truth.py``: ``paid_by_other``, ``refunded_as_duplicate``).

What must hold: exactly one payment is refunded and the order keeps the other, whatever order the payments and
their webhooks come in, with real processes and no faults.

Changed on purpose on 2026-12-06 (incident 0006): a new payment attempt now cancels the order's earlier intent
before its own exists, so the second tab's payment is refused by the provider and no duplicate is taken at all.
The test now holds that stronger promise: one payment taken, none refunded, the order keeps it, whichever tab pays
first and however often the success is seen again. (The duplicate refund still guards payments that reach the
provider some other way; the model test drives it.)"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from checkout_engine.chaos import catalog, steps
from checkout_engine.chaos.answers import AnswerBook
from checkout_engine.chaos.config import SECRET_KEY, Secrets, engine_environment
from checkout_engine.chaos.processes import Supervisor
from checkout_engine.chaos.simulator import WEBHOOK_RETRY, SimControl
from checkout_engine.chaos.storefront import Browser, Storefront

VISA = "pm_card_visa"
SUPPORT_REFUND = 100  # minor units, less than the order's total


@pytest.fixture
def shopper(pg_url: str, tmp_path: Path) -> Iterator[steps.Shopper]:
    keys = Secrets()
    supervisor = Supervisor(log_dir=tmp_path, keys=keys, api_count=1, worker_count=1)
    try:
        supervisor.start_simulator()
        sim = SimControl(supervisor.sim_url)
        sim.configure_webhooks(**WEBHOOK_RETRY)
        supervisor.start_engine(engine_environment(database_url=pg_url, sim_url=supervisor.sim_url, keys=keys))
        catalog.seed(supervisor.api_urls[0], keys.admin_key)
        store = Storefront(supervisor.api_urls, prefer=0, book=AnswerBook())
        until = time.monotonic() + 120
        yield steps.Shopper(
            "two-tabs", store, Browser(supervisor.sim_url), sim, keys.admin_key, random.Random(0), until
        )
    finally:
        supervisor.stop_all()


def paid_twice(shopper: steps.Shopper, *, newer_first: bool) -> tuple[steps.Order, steps.Order]:
    """Declined, a new attempt, then both tabs pay; returns the payment that paid the order and the other one,
    which the provider must have refused (its intent was cancelled when the new attempt was made)."""
    store = shopper.store
    cart = store.json("POST", "/v1/carts", json={"currency": "EUR", "country": "DE"})
    store.json("PUT", f"/v1/carts/{cart['id']}/items/EBOOK", json={"quantity": 1})
    order = steps.checkout(shopper, cart["id"], store.json("GET", f"/v1/carts/{cart['id']}")["quote"]["total"])
    steps.pay(shopper, order, "pm_card_chargeDeclined")
    assert steps.wait_for(shopper, order, frozenset({"payment_failed"})) == "payment_failed"
    retry = steps.new_attempt(shopper, order)
    assert retry is not None
    if newer_first:
        assert steps.pay(shopper, retry, VISA) == "succeeded"
        assert steps.wait_for(shopper, order, frozenset({"fulfilled"})) == "fulfilled"
        assert steps.pay(shopper, order, VISA) == "payment_intent_unexpected_state"
    else:
        assert steps.pay(shopper, order, VISA) == "payment_intent_unexpected_state"
        assert steps.pay(shopper, retry, VISA) == "succeeded"
        assert steps.wait_for(shopper, order, frozenset({"fulfilled"})) == "fulfilled"
    return retry, order


def refunds_of(shopper: steps.Shopper, order: steps.Order) -> list[dict[str, Any]]:
    return [refund for refund in shopper.sim.refunds() if refund["metadata"].get("order_id") == order.id]


def wait_for_refunds(shopper: steps.Shopper, order: steps.Order, *, count: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        mine = refunds_of(shopper, order)
        if len(mine) >= count and all(refund["status"] == "succeeded" for refund in mine):
            time.sleep(2)  # let the refund's own events be processed too
            return
        assert time.monotonic() < deadline, f"no {count} settled refunds for {order.id}"
        time.sleep(0.2)


def replay_succeeded_events(shopper: steps.Shopper, *payments: steps.Order) -> None:
    """As the admin API allows for any stored event (and a duplicate delivery amounts to the same)."""
    events = httpx.get(
        f"{shopper.sim.url}/v1/events",
        params={"type": "payment_intent.succeeded", "limit": 100},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    ).json()["data"]
    admin = {"Authorization": f"Bearer {shopper.admin_key}"}
    for payment in payments:
        event_id = next(event["id"] for event in events if event["data"]["object"]["id"] == payment.intent_id)
        path = f"/admin/v1/webhook-events/{event_id}/replay"
        shopper.store.json("POST", path, json={"reason": "duplicate"}, headers=admin)
    time.sleep(3)  # the replayed events' jobs, and any refund they wrongly start, run meanwhile


def money_problems(shopper: steps.Shopper, kept: steps.Order, extra: steps.Order, *, when: str) -> list[str]:
    """The refused tab took no money, nothing was refunded, the payment that paid the order is kept and the order
    fulfilled."""
    problems = []
    refunds = [(refund["payment_intent"], refund["amount"], refund["status"]) for refund in refunds_of(shopper, kept)]
    if refunds:
        problems.append(f"{when}: no refund expected (no duplicate was taken), the provider has {refunds}")
    taken = [i["id"] for i in shopper.sim.payment_intents() if i["id"] == extra.intent_id and i["amount_received"]]
    if taken:
        problems.append(f"{when}: the second tab's payment {extra.intent_id} took money")
    if (state := steps.state_of(shopper, kept)) != "fulfilled":
        problems.append(f"{when}: the order became {state} while the provider keeps one of its payments")
    failed = shopper.store.json(
        "GET",
        "/admin/v1/webhook-events",
        params={"status": "failed", "order_id": kept.id},
        headers={"Authorization": f"Bearer {shopper.admin_key}"},
    )["data"]
    if failed:
        problems.append(f"{when}: events failed: {[(event['type'], event['last_error']) for event in failed]}")
    return problems


def test_a_twice_paid_order_keeps_exactly_one_payment_whichever_pays_first(shopper: steps.Shopper) -> None:
    problems = []
    for newer_first in (True, False):
        when = "newer payment first" if newer_first else "older payment first"
        kept, extra = paid_twice(shopper, newer_first=newer_first)
        problems += money_problems(shopper, kept, extra, when=when)
        replay_succeeded_events(shopper, kept)
        problems += money_problems(shopper, kept, extra, when=f"{when}, its success seen again")
        # Support's refund takes money back from the payment the order kept, not from the refunded extra one.
        answer = steps.refund(shopper, kept, SUPPORT_REFUND, key=f"support-{kept.id}")
        if answer.status != 201:
            problems.append(f"{when}: support could not refund part of the order: {answer.status} {answer.body}")
            continue
        wait_for_refunds(shopper, kept, count=1)
        on_kept = [
            refund["amount"] for refund in refunds_of(shopper, kept) if refund["payment_intent"] == kept.intent_id
        ]
        state = steps.state_of(shopper, kept)
        if on_kept != [SUPPORT_REFUND] or state != "partially_refunded":
            problems.append(f"{when}: support's refund: {on_kept} on the kept payment, order {state}")
    assert problems == []
