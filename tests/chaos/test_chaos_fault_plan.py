"""The chaos run's fault plan is a pure function of its seed."""

from __future__ import annotations

from checkout_engine.chaos.faults import plan


def test_the_fault_plan_is_the_seeds_and_kills_an_api_and_a_worker() -> None:
    steps = plan(7, 30)
    assert steps == plan(7, 30) != plan(8, 30)
    assert {step.params["role"] for step in steps if step.kind == "kill"} == {"api", "worker"}
    assert {step.kind for step in steps} == {"provider_fault", "webhooks", "webhook_target", "kill", "restock"}
    assert all(step.at <= 30 for step in steps)
