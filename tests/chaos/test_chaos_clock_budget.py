"""The run's budget of jumps of the simulator's clock: customers racing for it make exactly as many jumps as it
holds, never more."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from checkout_engine.chaos.simulator import ClockBudget


def test_customers_racing_for_the_clock_make_no_more_jumps_than_the_budget_holds() -> None:
    budget = ClockBudget(2)
    with ThreadPoolExecutor(16) as customers:
        granted = list(customers.map(lambda _: budget.take(), range(64)))
    assert granted.count(True) == 2
    assert not budget.take()


def test_a_shopper_given_no_budget_never_moves_the_clock() -> None:
    assert not ClockBudget(0).take()
