"""The run's summary: journeys by outcome, faults injected, processes killed, money at the provider against our
ledger, draining, and every violation; printed with Rich and written as JSON."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from checkout_engine.chaos.customers import JourneyResult
from checkout_engine.chaos.drain import Drained
from checkout_engine.chaos.processes import Kill
from checkout_engine.invariants import Violation
from checkout_engine.invariants.world import World
from checkout_engine.money import Money

EXAMPLES_PER_INVARIANT = 3


@dataclass(frozen=True, slots=True)
class Ledger:
    provider_captured: int
    provider_refunded: int
    ledger_captured: int
    ledger_refunded: int
    orders: int
    provider_payments: int


def ledger(world: World) -> Ledger:
    return Ledger(
        provider_captured=sum(p.amount_received for p in world.provider_payments if p.status == "succeeded"),
        provider_refunded=sum(r.amount for r in world.provider_refunds if r.status == "succeeded"),
        ledger_captured=sum(a.amount_received for a in world.attempts if a.status == "succeeded"),
        ledger_refunded=sum(r.amount for r in world.refunds if r.status == "succeeded"),
        orders=len(world.orders),
        provider_payments=len(world.provider_payments),
    )


@dataclass
class Summary:
    seed: int
    duration: float
    customers: int
    database: str
    journeys: list[JourneyResult] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    restocked: Counter[str] = field(default_factory=Counter)
    kills: list[Kill] = field(default_factory=list)
    money: Ledger | None = None
    drains: dict[str, Drained] = field(default_factory=dict)
    reconciliation: dict[str, Any] = field(default_factory=dict)
    dead_jobs: int = 0
    replays: int = 0
    server_errors: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    logs: str | None = None

    @property
    def passed(self) -> bool:
        return not self.violations

    def outcomes(self) -> dict[str, Counter[str]]:
        by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        for journey in self.journeys:
            by_kind[journey.kind][journey.outcome] += 1
        return dict(sorted(by_kind.items()))


def to_json(summary: Summary) -> dict[str, Any]:
    return {
        "passed": summary.passed,
        "seed": summary.seed,
        "duration": summary.duration,
        "customers": summary.customers,
        "database": summary.database,
        "elapsed_seconds": summary.elapsed_seconds,
        "journeys": {
            kind: {"completed": sum(outcomes.values()), "outcomes": dict(outcomes)}
            for kind, outcomes in summary.outcomes().items()
        },
        "faults": dict(summary.faults),
        "restocked": dict(summary.restocked),
        "kills": [asdict(kill) for kill in summary.kills],
        "money": asdict(summary.money) if summary.money else None,
        "drains": {name: asdict(drained) for name, drained in summary.drains.items()},
        "reconciliation": summary.reconciliation,
        "dead_jobs": summary.dead_jobs,
        "idempotent_replays_seen": summary.replays,
        "server_errors": summary.server_errors,
        "violations": [asdict(violation) for violation in summary.violations],
        "notes": summary.notes,
        "logs": summary.logs,
    }


def write_json(summary: Summary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(summary), indent=2, sort_keys=False) + "\n")


def _journeys(summary: Summary) -> Table:
    table = Table(title=f"journeys ({len(summary.journeys)})", title_justify="left")
    table.add_column("kind")
    table.add_column("n", justify="right")
    table.add_column("outcomes")
    for kind, outcomes in summary.outcomes().items():
        shown = ", ".join(f"{outcome} x{count}" for outcome, count in outcomes.most_common())
        table.add_row(kind, str(sum(outcomes.values())), shown)
    return table


def _chaos(summary: Summary) -> Table:
    table = Table(title="faults injected and processes killed", title_justify="left")
    table.add_column("fault")
    table.add_column("n", justify="right")
    for fault, count in sorted(summary.faults.items()):
        table.add_row(fault, str(count))
    for kill in summary.kills:
        table.add_row(f"[red]SIGKILL[/red] {kill.process} at {kill.at}s, back after {kill.downtime}s", "1")
    for sku, units in sorted(summary.restocked.items()):
        table.add_row(f"(not a fault) sold-out {sku} restocked, units", str(units))
    return table


def _money(summary: Summary) -> Table:
    table = Table(title="money (EUR)", title_justify="left")
    for column in ("", "at the provider", "in our ledger"):
        table.add_column(column, justify="right")
    if summary.money:
        m = summary.money
        table.add_row("captured", str(Money(m.provider_captured, "EUR")), str(Money(m.ledger_captured, "EUR")))
        table.add_row("refunded", str(Money(m.provider_refunded, "EUR")), str(Money(m.ledger_refunded, "EUR")))
        kept_provider, kept_ours = m.provider_captured - m.provider_refunded, m.ledger_captured - m.ledger_refunded
        table.add_row("kept", str(Money(kept_provider, "EUR")), str(Money(kept_ours, "EUR")))
        table.add_row("payments / orders", str(m.provider_payments), str(m.orders))
    return table


def _after(summary: Summary) -> Table:
    table = Table(title="after the chaos", title_justify="left")
    table.add_column("step")
    table.add_column("result")
    for name, drained in summary.drains.items():
        verdict = "[green]reached[/green]" if drained.reached else f"[red]not reached[/red] {drained.backlog}"
        table.add_row(f"drain: {name}", f"{verdict} in {drained.seconds}s")
    table.add_row("reconciliation", ", ".join(f"{k} {v}" for k, v in summary.reconciliation.items()))
    table.add_row("dead jobs", str(summary.dead_jobs))
    table.add_row("idempotent replays seen", str(summary.replays))
    table.add_row("server errors (500)", str(len(summary.server_errors)))
    for note in summary.notes:
        table.add_row("note", note)
    return table


def _violations(summary: Summary) -> Table:
    """How many of each, and the first few of each on one line (the JSON summary has them all)."""
    table = Table(title=f"[red]violations ({len(summary.violations)})[/red]", title_justify="left")
    for column in ("invariant", "n", "examples"):
        table.add_column(column, justify="right" if column == "n" else "left")
    by_invariant: dict[str, list[Violation]] = defaultdict(list)
    for violation in summary.violations:
        by_invariant[violation.invariant].append(violation)
    for invariant, violations in by_invariant.items():
        examples = "\n".join(f"{v.subject}: {v.detail}" for v in violations[:EXAMPLES_PER_INVARIANT])
        table.add_row(invariant, str(len(violations)), examples)
    return table


def render(summary: Summary, console: Console) -> None:
    for table in (_journeys(summary), _chaos(summary), _money(summary), _after(summary)):
        console.print(table)
    if summary.violations:
        console.print(_violations(summary))
    verdict = "[bold green]PASSED[/bold green]" if summary.passed else "[bold red]FAILED[/bold red]"
    console.print(f"chaos run seed {summary.seed}: {verdict} in {summary.elapsed_seconds}s  ({summary.database})")
    if summary.logs:
        console.print(f"process logs: {summary.logs}")
