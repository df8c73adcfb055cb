"""A window on the simulator's journal: the exchanges of one test, checked against Stripe's spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.stripe_conformance import check_entries, report
from support.provider_sim_process import ProviderSimProcess


class JournalWindow:
    """The lines of one simulator's journal file written from the moment it was opened: one test's exchanges."""

    def __init__(self, path: Path, sim: ProviderSimProcess) -> None:
        self.path = path
        self.sim = sim
        self._offset = path.stat().st_size if path.exists() else 0

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as journal:
            journal.seek(self._offset)
            return [json.loads(line) for line in journal.read().splitlines() if line.strip()]

    def assert_conforms(self) -> None:
        """Fails with every mismatch between this test's exchanges and Stripe's published API."""
        # The events of the test, listed once: what the webhooks delivered is checked with the answers.
        self.sim.stripe_client().v1.events.list(params={"limit": 100})
        entries = self.entries()
        assert entries, f"nothing was journaled in {self.path}: is the simulator's journal on?"
        mismatches = check_entries(entries)
        if mismatches:
            listed = report(mismatches)
            pytest.fail(
                f"{len(listed.splitlines())} mismatches with Stripe's published API in {len(entries)} exchanges:\n"
                + listed,
                pytrace=False,
            )
