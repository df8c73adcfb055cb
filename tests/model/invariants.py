"""The money invariants of checkout-engine, checked against our database and the provider's own records.

Every check takes the engine and a ``stripe.StripeClient`` pointed at the provider (the simulator) and returns a
list of violations, each a sentence naming the records involved; an empty list means the invariant holds.

``ALWAYS`` hold after every single step, whatever is still in flight (undelivered webhooks, queued jobs, pending
refunds). ``SETTLED`` are exact: they hold once everything due has been delivered and processed (see
``model.settling``). ``replays_returned_the_first_answer`` checks the idempotency record a client kept.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import stripe
from sqlalchemy import Engine

from checkout_engine.chaos.simulator import SimControl
from checkout_engine.db.tables import (
    entitlements,
    idempotency_keys,
    inventory,
    inventory_reservations,
    jobs,
    order_events,
    orders,
    payment_attempts,
    pricing_snapshots,
    refunds,
    shipment_requests,
    webhook_events,
)
from checkout_engine.invariants import WORLD_CHECKS, records
from checkout_engine.invariants.work import jobs_settled
from checkout_engine.orders.model import TRANSITIONS, OrderState

S = OrderState
MONEY_IN = frozenset(
    s.value
    for s in (
        S.PAID,
        S.FULFILLMENT_PENDING,
        S.PARTIALLY_FULFILLED,
        S.FULFILLED,
        S.PARTIALLY_REFUNDED,
        S.REFUNDED,
        S.CANCELLED_WITH_REFUND,
        S.CLOSED,
    )
)
HOLDING_STOCK = frozenset(s.value for s in (S.DRAFT, S.PAYMENT_PENDING, S.PAYMENT_AUTHORIZED, S.CAPTURE_FAILED))
ALL_REFUNDED = frozenset(s.value for s in (S.REFUNDED, S.CANCELLED_WITH_REFUND, S.CLOSED))
KEEPING_MONEY = frozenset(s.value for s in (S.PAID, S.FULFILLED, S.PARTIALLY_FULFILLED, S.CLOSED))
COUNTS_AGAINST_CHARGE = ("pending", "succeeded")  # a provider refund's amount is spoken for from its creation
OURS_COUNT_AGAINST_CHARGE = ("requested", "pending", "succeeded")

Check = Callable[[Engine, stripe.StripeClient], list[str]]


# -- What the provider holds ------------------------------------------------------------------------------------


def provider_payments(client: stripe.StripeClient) -> dict[str, dict[str, Any]]:
    listed = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return {intent["id"]: intent.to_dict() for intent in listed}


def provider_refunds(client: stripe.StripeClient) -> list[dict[str, Any]]:
    return [refund.to_dict() for refund in client.v1.refunds.list(params={"limit": 100}).auto_paging_iter()]


def _refunded_at_provider(refund_list: Iterable[dict[str, Any]], statuses: Sequence[str]) -> Counter[str]:
    per_payment: Counter[str] = Counter()
    for refund in refund_list:
        if refund["status"] in statuses:
            per_payment[refund["payment_intent"]] += refund["amount"]
    return per_payment


def _rows(engine: Engine, query: sa.Select[Any]) -> list[sa.RowMapping]:
    with engine.connect() as conn:
        return list(conn.execute(query).mappings())


def _orders(engine: Engine) -> dict[str, sa.RowMapping]:
    return {row["id"]: row for row in _rows(engine, sa.select(orders))}


# -- Always true ----------------------------------------------------------------------------------------------


def history_explains_state(engine: Engine, _client: stripe.StripeClient) -> list[str]:
    """Every state change has its event: the transitions chain from nothing to the order's current state, and each
    one is allowed by the state machine."""
    events: dict[str, list[sa.RowMapping]] = defaultdict(list)
    query = sa.select(order_events).where(order_events.c.kind == "transition").order_by(order_events.c.id)
    for event in _rows(engine, query):
        events[event["order_id"]].append(event)
    violations = []
    for order_id, order in _orders(engine).items():
        previous = None
        for event in events[order_id]:
            source, target = event["from_state"], event["to_state"]
            allowed = target == S.DRAFT.value if previous is None else S(target) in TRANSITIONS[S(previous)]
            if source != previous or not allowed:
                violations.append(f"order {order_id}: transition {source}->{target} after {previous}")
            previous = target
        if previous != order["state"]:
            violations.append(f"order {order_id} is {order['state']} but its last transition event is to {previous}")
    return violations


def _snapshot_lines(engine: Engine) -> dict[str, dict[str, int]]:
    lines: dict[str, dict[str, int]] = {}
    for row in _rows(engine, sa.select(pricing_snapshots.c.order_id, pricing_snapshots.c.payload)):
        lines[row["order_id"]] = {line["sku"]: line["quantity"] for line in row["payload"]["lines"]}
    return lines


def stock_is_never_oversold(initial: Mapping[str, int]) -> Check:
    """No SKU sells more than it had; ``on_hand`` / ``reserved`` agree with the reservation rows; an order holds
    stock only while it may still be paid, and never commits more than it bought."""

    def check(engine: Engine, _client: stripe.StripeClient) -> list[str]:
        holds = _rows(engine, sa.select(inventory_reservations))
        states = {order_id: row["state"] for order_id, row in _orders(engine).items()}
        bought = _snapshot_lines(engine)
        violations = []
        for stock in _rows(engine, sa.select(inventory)):
            sku = stock["sku"]
            active = sum(h["quantity"] for h in holds if h["sku"] == sku and h["status"] == "active")
            committed = sum(h["quantity"] for h in holds if h["sku"] == sku and h["status"] == "committed")
            if committed > initial[sku]:
                violations.append(f"{sku} oversold: {committed} sold of {initial[sku]}")
            if stock["reserved"] != active or stock["on_hand"] != initial[sku] - committed:
                violations.append(
                    f"{sku}: on_hand={stock['on_hand']} reserved={stock['reserved']} but the reservations say "
                    f"on_hand={initial[sku] - committed} reserved={active}"
                )
        kept: Counter[tuple[str, str]] = Counter()
        for hold in holds:
            if hold["status"] == "active" and states[hold["order_id"]] not in HOLDING_STOCK:
                violations.append(
                    f"order {hold['order_id']} is {states[hold['order_id']]} and still holds {hold['sku']}"
                )
            if hold["status"] != "released":
                kept[(hold["order_id"], hold["sku"])] += hold["quantity"]
        for (order_id, sku), quantity in kept.items():
            if quantity > bought[order_id].get(sku, 0):
                violations.append(f"order {order_id} holds or took {quantity} {sku} but bought {bought[order_id]}")
        return violations

    check.__name__ = stock_is_never_oversold.__name__
    return check


def money_in_is_proven(engine: Engine, client: stripe.StripeClient) -> list[str]:
    """An order counts money in only when the provider took it; an attempt we call succeeded succeeded there."""
    intents = provider_payments(client)
    attempts = _rows(engine, sa.select(payment_attempts))
    violations = []
    for attempt in attempts:
        intent = intents.get(attempt["provider_payment_id"] or "")
        if attempt["status"] == "succeeded" and (
            intent is None or intent["status"] != "succeeded" or intent["amount_received"] != attempt["amount_received"]
        ):
            says = intent and (intent["status"], intent["amount_received"])
            violations.append(f"attempt {attempt['id']} is succeeded ({attempt['amount_received']}), provider: {says}")
    proven = {
        a["order_id"] for a in attempts if intents.get(a["provider_payment_id"] or "", {}).get("status") == "succeeded"
    }
    for order_id, order in _orders(engine).items():
        if order["state"] in MONEY_IN and order_id not in proven:
            violations.append(f"order {order_id} is {order['state']} without a payment that succeeded at the provider")
    return violations


def provider_payments_are_ours(engine: Engine, client: stripe.StripeClient) -> list[str]:
    """Every intent at the provider traces back (by its metadata) to one of our orders and attempts."""
    attempts = {row["id"]: row for row in _rows(engine, sa.select(payment_attempts))}
    violations = []
    for intent in provider_payments(client).values():
        attempt = attempts.get(intent["metadata"].get("payment_attempt_id", ""))
        if attempt is None or attempt["order_id"] != intent["metadata"].get("order_id"):
            violations.append(f"payment {intent['id']} ({intent['status']}) belongs to no attempt of its order")
    return violations


def refunds_never_exceed_captured(engine: Engine, client: stripe.StripeClient) -> list[str]:
    """Per payment, the provider's refunds never exceed what it captured, nor do the refunds we have asked for."""
    intents = provider_payments(client)
    at_provider = _refunded_at_provider(provider_refunds(client), COUNTS_AGAINST_CHARGE)
    violations = [
        f"payment {pid}: {amount} refunded of {intents[pid]['amount_received']} captured"
        for pid, amount in at_provider.items()
        if amount > intents[pid]["amount_received"]
    ]
    query = (
        sa.select(payment_attempts.c.provider_payment_id, sa.func.sum(refunds.c.amount).label("asked"))
        .join(payment_attempts, payment_attempts.c.id == refunds.c.payment_attempt_id)
        .where(refunds.c.status.in_(OURS_COUNT_AGAINST_CHARGE))
        .group_by(payment_attempts.c.provider_payment_id)
    )
    for row in _rows(engine, query):
        captured = intents.get(row["provider_payment_id"] or "", {}).get("amount_received", 0)
        if row["asked"] > captured:
            violations.append(f"payment {row['provider_payment_id']}: we refund {row['asked']} of {captured} captured")
    return violations


def fulfilment_is_single_and_proven(engine: Engine, _client: stripe.StripeClient) -> list[str]:
    """Every fulfilled order was paid by a transition carrying a provider reference, and fulfilled exactly once:
    one shipment for its physical lines, one grant per digital line."""
    events = _rows(engine, sa.select(order_events).where(order_events.c.kind == "transition"))
    fulfilled = Counter(e["order_id"] for e in events if e["to_state"] == S.FULFILLED.value)
    proven = {e["order_id"] for e in events if e["to_state"] == S.PAID.value and e["provider_event_id"]}
    shipments = Counter(row["order_id"] for row in _rows(engine, sa.select(shipment_requests.c.order_id)))
    grants = Counter(row["order_id"] for row in _rows(engine, sa.select(entitlements.c.order_id)))
    snapshots = {r["order_id"]: r["payload"]["lines"] for r in _rows(engine, sa.select(pricing_snapshots))}
    violations = []
    for order_id in set(fulfilled) | set(shipments) | set(grants):
        lines = snapshots[order_id]
        physical = any(line["kind"] == "physical" for line in lines)
        digital = sum(line["kind"] == "digital" for line in lines)
        if order_id not in proven:
            violations.append(f"order {order_id} was fulfilled without a paid transition backed by the provider")
        if fulfilled[order_id] != 1 or shipments[order_id] != int(physical) or grants[order_id] != digital:
            violations.append(
                f"order {order_id}: fulfilled {fulfilled[order_id]} times, {shipments[order_id]} shipments, "
                f"{grants[order_id]} grants for {lines}"
            )
    return violations


# -- Exact once everything due has been delivered and processed ---------------------------------------------------


def settled_payments_agree(engine: Engine, client: stripe.StripeClient) -> list[str]:
    """Every payment the provider took belongs to an order that is paid (or refunded); no order keeps the money
    of more than one payment (unless the provider failed the extra one's refund and the order awaits a person);
    the order's state says what it kept; a paid order was fulfilled or is held for review."""
    intents = provider_payments(client)
    refunded = _refunded_at_provider(provider_refunds(client), ("succeeded",))
    spoken_for = _refunded_at_provider(provider_refunds(client), COUNTS_AGAINST_CHARGE)
    failed = _refunded_at_provider(provider_refunds(client), ("failed",))
    order_rows = _orders(engine)
    attempts = {row["provider_payment_id"]: row for row in _rows(engine, sa.select(payment_attempts))}
    violations = []
    succeeded: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for intent in intents.values():
        if intent["status"] != "succeeded":
            continue
        order = order_rows[intent["metadata"]["order_id"]]
        succeeded[order["id"]].append(intent)
        ours = attempts.get(intent["id"])
        if order["state"] not in MONEY_IN or ours is None or ours["status"] != "succeeded":
            violations.append(
                f"payment {intent['id']} succeeded but order {order['id']} is {order['state']} "
                f"and our attempt is {ours and ours['status']}"
            )
    for order_id, paid in succeeded.items():
        order = order_rows[order_id]
        keeping = [i["id"] for i in paid if i["amount_received"] > spoken_for[i["id"]]]
        refused = any(failed[i] for i in keeping)  # the provider failed a refund: a person must look
        if len(keeping) > 1 and not (refused and order["needs_review"]):
            violations.append(f"order {order_id} keeps the money of {len(keeping)} payments: {keeping}")
        kept = sum(i["amount_received"] - refunded[i["id"]] for i in paid)
        expected = KEEPING_MONEY if kept >= order["total"] else ALL_REFUNDED if kept == 0 else {"partially_refunded"}
        if order["state"] not in expected | {S.CLOSED.value}:
            violations.append(f"order {order_id} keeps {kept} of {order['total']} but is {order['state']}")
    for order in order_rows.values():
        if order["state"] in (S.PAID.value, S.FULFILLMENT_PENDING.value) and not order["needs_review"]:
            violations.append(f"order {order['id']} is {order['state']}, not held for review, and was never fulfilled")
    return violations


def settled_refunds_agree(engine: Engine, client: stripe.StripeClient) -> list[str]:
    """Our refund records are the provider's: same ids, amounts and statuses; ours never reached it only if it
    refused them."""
    ours = _rows(engine, sa.select(refunds))
    by_provider_id = {row["provider_refund_id"]: row for row in ours if row["provider_refund_id"]}
    violations = []
    for theirs in provider_refunds(client):
        mine = by_provider_id.pop(theirs["id"], None)
        if mine is None or mine["amount"] != theirs["amount"] or mine["status"] != theirs["status"]:
            summary = mine and (mine["id"], mine["amount"], mine["status"])
            violations.append(f"provider refund {theirs['id']} {theirs['amount']} {theirs['status']}; ours: {summary}")
    violations += [
        f"our refund {row['id']} names {pid}, unknown to the provider" for pid, row in by_provider_id.items()
    ]
    violations += [
        f"our refund {row['id']} never reached the provider and is {row['status']}"
        for row in ours
        if not row["provider_refund_id"] and row["status"] != "failed"
    ]
    return violations


def settled_work_is_done(engine: Engine, _client: stripe.StripeClient) -> list[str]:
    """No job gave up, and every stored provider event was processed (or waits for an order that is not paid)."""
    violations = [
        f"job {row['id']} {row['kind']} {row['payload']} is dead: {(row['last_error'] or '').splitlines()[:1]}"
        for row in _rows(engine, sa.select(jobs).where(jobs.c.status == "dead"))
    ]
    states = {order_id: row["state"] for order_id, row in _orders(engine).items()}
    for event in _rows(engine, sa.select(webhook_events)):
        waiting = event["status"] == "held" and states.get(event["order_id"]) not in MONEY_IN
        if event["status"] in ("received", "failed", "held") and not waiting:
            violations.append(f"event {event['event_id']} {event['type']} is {event['status']}: {event['last_error']}")
    return violations


# -- Idempotency ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """One request a client made with an Idempotency-Key, and what it got (``status`` None: it never answered)."""

    path: str
    key: str
    body: str
    status: int | None
    text: str = ""
    replayed: bool = False

    @property
    def code(self) -> str | None:
        if self.status is None or self.status < 400:
            return None
        try:
            code: str = json.loads(self.text)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return "unparseable"
        return code


# Answers that are not final: nothing was stored, the same request may be sent again.
NOT_FINAL = frozenset({"idempotency_key_in_use", "provider_unavailable", "order_state_conflict"})


def replays_returned_the_first_answer(engine: Engine, calls: Sequence[Call]) -> list[str]:
    """The same key and body give the first final answer again, byte for byte, marked as replayed; that answer
    was given once; the same key with another body is refused with ``idempotency_key_reused``."""
    stored = {(row["request_path"], row["key"]): row for row in _rows(engine, sa.select(idempotency_keys))}
    by_key: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for call in calls:
        by_key[(call.path, call.key)].append(call)
    violations = []
    for (path, key), made in by_key.items():
        first = stored.get((path, key))
        answer = (first["response_status"], first["response_body"]) if first else (None, None)
        originals = 0
        for call in (c for c in made if c.status is not None):
            where = f"{path} key {key}: {call.status} {call.text[:160]}"
            if call.body != made[0].body:
                if call.code != "idempotency_key_reused":
                    violations.append(f"{where} for another body, not idempotency_key_reused")
            elif call.replayed:
                if (call.status, call.text) != answer:
                    violations.append(f"{where} replayed, but the first answer was {answer}")
            elif call.code not in NOT_FINAL:
                originals += 1
                if (call.status, call.text) != answer:
                    violations.append(f"{where} answered, but the stored answer is {answer}")
        if originals > 1:
            violations.append(f"{path} key {key} was carried out {originals} times")
    return violations


ALWAYS: tuple[Check, ...] = (
    history_explains_state,
    money_in_is_proven,
    provider_payments_are_ours,
    refunds_never_exceed_captured,
    fulfilment_is_single_and_proven,
)
SETTLED: tuple[Check, ...] = (settled_payments_agree, settled_refunds_agree, settled_work_is_done)


def the_chaos_runs_invariants(engine: Engine, sim_url: str, initial_stock: Mapping[str, int]) -> list[str]:
    """The chaos run's own money invariants (``checkout_engine.invariants``), over the same books once
    settled, so that both judge by one reference. Its job check is left to ``settled_work_is_done``, which knows
    that an unpaid order's expiry job waits for its time."""
    sim = SimControl(sim_url)
    try:
        books = records.load(engine, sim, initial_stock)
    finally:
        sim.close()
    found = (violation for check in WORLD_CHECKS if check is not jobs_settled for violation in check(books))
    return [f"chaos {v.invariant}: {v.subject}: {v.detail}" for v in found]


def violations_of(checks: Iterable[Check], engine: Engine, client: stripe.StripeClient) -> list[str]:
    return [f"{check.__name__}: {violation}" for check in checks for violation in check(engine, client)]
