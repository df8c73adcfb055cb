"""The engine's flows against a simulator process of these tests' own, whose journal file they read; the whole product
otherwise as tests/support/stack.py builds it, with the capture method a test may choose."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from checkout_engine.settings import Settings
from conformance.journal_window import JournalWindow
from support.provider_sim_process import JOURNAL_DIR_VARIABLE, ProviderSimProcess
from support.stack import (
    ADMIN_KEY,
    WEBHOOK_SECRET,
    client,
    default_items,
    fulfilled,
    live,
    place,
    provider,
    refund,
    shop,
    state_of,
    wired,
    worker,
)

__all__ = [
    "client",
    "default_items",
    "fulfilled",
    "live",
    "place",
    "provider",
    "refund",
    "shop",
    "state_of",
    "wired",
    "worker",
]


@pytest.fixture(scope="module")
def journal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's journal directory when the conformance plugin set one up (so the session's check sees these
    exchanges too), else one of this module's own."""
    session = os.environ.get(JOURNAL_DIR_VARIABLE)
    return Path(session) if session else tmp_path_factory.mktemp("provider-sim-journal")


@pytest.fixture(scope="module")
def sim_process(journal_dir: Path) -> Iterator[ProviderSimProcess]:
    """The simulator of these tests, journaling whatever the session says."""
    with ProviderSimProcess(env={"PROVIDER_SIM_JOURNAL": str(journal_dir)}) as process:
        yield process


@pytest.fixture(scope="module")
def journal_file(sim_process: ProviderSimProcess, journal_dir: Path) -> Path:
    """The file of this module's simulator alone (the journal names each process's file by its pid)."""
    pid = sim_process.sim("GET", "health")["pid"]
    return journal_dir / f"provider_sim-{pid}.jsonl"


@pytest.fixture
def journal(sim: ProviderSimProcess, journal_file: Path) -> JournalWindow:
    return JournalWindow(journal_file, sim)


@pytest.fixture
def capture_method() -> str:
    """Overridden by `@pytest.mark.parametrize("capture_method", ["manual"])` where a test authorises first."""
    return "automatic"


@pytest.fixture
def settings(db_url: str, sim: ProviderSimProcess, capture_method: str) -> Settings:
    return Settings(
        database_url=db_url,
        bootstrap_admin_key=SecretStr(ADMIN_KEY),
        stripe_secret_key=SecretStr("sk_test_engine"),
        stripe_api_base=sim.url,
        provider_timeout_seconds=2.0,
        stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
        capture_method=capture_method,
    )
