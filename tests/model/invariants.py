"""The money invariants of checkout-engine, checked by the model test: the shared ones
(``checkout_engine.invariants``) over the books read from our database and the simulator, plus the one only a
client can check, because it needs the client's own record of what it asked and was answered.

``always`` holds after every single step, whatever is still in flight (undelivered webhooks, queued jobs, pending
refunds). ``settled`` is exact: it holds once everything due has been delivered and processed (see
``model.settling``). ``replays_returned_the_first_answer`` checks the idempotency record a client kept. Each
returns a list of violations, each a sentence naming the records involved; an empty list means they hold.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine import invariants
from checkout_engine.db.tables import idempotency_keys
from checkout_engine.invariants import Violation, records
from checkout_engine.invariants.records import ProviderBooks
from checkout_engine.invariants.work import jobs_settled

# Settling runs every job that is due; an expiry job of an unpaid order may still wait for its time.
SETTLED = tuple(check for check in invariants.SETTLED if check is not jobs_settled)


def _described(violations: Iterable[Violation]) -> list[str]:
    return [f"{v.invariant}: {v.subject}: {v.detail}" for v in violations]


def always(engine: Engine, books: ProviderBooks, initial_stock: Mapping[str, int]) -> list[str]:
    """The invariants that hold at any moment, over the books as they are now."""
    return _described(invariants.run(invariants.ALWAYS, records.load(engine, books, initial_stock)))


def settled(engine: Engine, books: ProviderBooks, initial_stock: Mapping[str, int]) -> list[str]:
    """Every invariant, once everything due has happened."""
    world = records.load(engine, books, initial_stock)
    return _described(invariants.run(invariants.ALWAYS + SETTLED, world))


def _rows(engine: Engine, query: sa.Select[Any]) -> list[sa.RowMapping]:
    with engine.connect() as conn:
        return list(conn.execute(query).mappings())


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
