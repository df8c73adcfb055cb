"""The money invariants, as pure functions of what the books say after the run. Each returns its violations (an
empty list when it holds), so a test can feed any of them crafted rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from checkout_engine.chaos.answers import Answer
from checkout_engine.invariants.history import fulfillment_proven, history_complete
from checkout_engine.invariants.model import Violation
from checkout_engine.invariants.payments import (
    ledger_matches_provider,
    one_kept_payment_per_order,
    paid_orders_keep_their_price,
    provider_money_matches_orders,
)
from checkout_engine.invariants.records import World
from checkout_engine.invariants.refunds import refunds_match_provider, refunds_within_captured
from checkout_engine.invariants.stock import stock_agrees
from checkout_engine.invariants.work import idempotent_replays, jobs_settled

__all__ = ["Violation", "check_all"]

WORLD_CHECKS: tuple[Callable[[World], list[Violation]], ...] = (
    one_kept_payment_per_order,
    provider_money_matches_orders,
    ledger_matches_provider,
    stock_agrees,
    refunds_within_captured,
    refunds_match_provider,
    fulfillment_proven,
    paid_orders_keep_their_price,
    history_complete,
    jobs_settled,
)


def check_all(world: World, answers: Mapping[str, list[Answer]]) -> list[Violation]:
    violations = [violation for check in WORLD_CHECKS for violation in check(world)]
    return violations + idempotent_replays(answers)
