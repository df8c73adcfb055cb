"""`checkout-engine chaos` end to end: 30 seconds of customers under provider faults, unruly webhooks and SIGKILLs,
as its own process on a fresh database; every money invariant holds afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SEED = 20261125
# A 30 s run takes about a minute; the rest is headroom for a loaded 2-core machine. Draining is bounded inside.
TIMEOUT_SECONDS = 170


def test_thirty_seconds_of_chaos_break_no_money_invariant(pg_url: str, tmp_path: Path) -> None:
    summary_path = tmp_path / "summary.json"
    command = [sys.executable, "-m", "checkout_engine.cli", "chaos", "--duration", "30", "--customers", "8"]
    command += ["--seed", str(SEED), "--database-url", pg_url, "--json", str(summary_path)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)

    assert run.returncode == 0, f"chaos run failed:\n{run.stdout[-8000:]}\n{run.stderr[-4000:]}"
    summary = json.loads(summary_path.read_text())
    assert summary["passed"] and summary["violations"] == []
    completed = {kind for kind, journeys in summary["journeys"].items() if journeys["completed"]}
    assert len(completed) >= 5, summary["journeys"]
    assert sum(count for fault, count in summary["faults"].items() if not fault.startswith("SIGKILL")) > 0
    assert summary["kills"], "no process was killed"
    money = summary["money"]
    assert money["provider_captured"] > 0
    assert (money["provider_captured"], money["provider_refunded"]) == (
        money["ledger_captured"],
        money["ledger_refunded"],
    )
