"""The whole suite's exchanges with the simulator, held to Stripe's published API: every simulator process a test
starts (tests/support/provider_sim_process.py) journals into one directory of this session, xdist workers included,
and at the end the controller checks everything recorded and fails the run on any mismatch, listing them.

`--conformance-report=PATH` also writes the list to PATH (empty when everything conforms); the `=` matters: the
option is defined in a conftest plugin, and pytest takes a separate existing PATH for a test path before it knows it."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from conformance.stripe_conformance import Mismatch, check_entries, read_journal, report
from support.provider_sim_process import JOURNAL_DIR_VARIABLE

_JOURNAL = pytest.StashKey[Path]()
_OWNED = pytest.StashKey[bool]()
_FOUND = pytest.StashKey[tuple[int, list[Mismatch], float]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--conformance-report",
        default=None,
        metavar="PATH",
        help="write the mismatches between the simulator's exchanges and Stripe's spec to PATH",
    )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config):
        return  # the controller set the directory up; workers inherit the variable when they are spawned
    existing = os.environ.get(JOURNAL_DIR_VARIABLE)
    config.stash[_OWNED] = not existing
    directory = Path(existing) if existing else Path(tempfile.mkdtemp(prefix="provider-sim-journal-"))
    os.environ[JOURNAL_DIR_VARIABLE] = str(directory)
    config.stash[_JOURNAL] = directory


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config) or _JOURNAL not in config.stash:
        return
    started = time.monotonic()
    entries = list(read_journal(config.stash[_JOURNAL]))
    mismatches = check_entries(entries)
    config.stash[_FOUND] = (len(entries), mismatches, time.monotonic() - started)
    target = config.getoption("--conformance-report")
    if target:
        Path(target).write_text(report(mismatches) + ("\n" if mismatches else ""), encoding="utf-8")
    if mismatches and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if _FOUND not in config.stash:
        return
    exchanges, mismatches, seconds = config.stash[_FOUND]
    checked = f"{exchanges} simulator exchanges checked against Stripe's spec in {seconds:.1f}s"
    if not mismatches:
        if exchanges:
            terminalreporter.write_line(f"{checked}: they conform")
        return
    terminalreporter.section("simulator exchanges that differ from Stripe's published API", red=True)
    listed = report(mismatches)
    terminalreporter.write_line(listed)
    count = len(listed.splitlines())
    terminalreporter.write_line(f"{checked}: {count} distinct mismatches; the run fails on them")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _is_worker(config) or not config.stash.get(_OWNED, False):
        return
    os.environ.pop(JOURNAL_DIR_VARIABLE, None)
    shutil.rmtree(config.stash[_JOURNAL], ignore_errors=True)
