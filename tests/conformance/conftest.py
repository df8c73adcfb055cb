"""The engine's flows against a simulator process of this module's own, whose journal the flow tests read; the whole
product otherwise as tests/support/stack.py builds it, with the capture method a test may choose."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from checkout_engine.settings import Settings
from conformance.journal_window import JournalWindow
from support.provider_sim_process import ProviderSimProcess
from support.stack import (
    ADMIN_KEY,
    WEBHOOK_SECRET,
    client,
    default_items,
    fulfilled,
    live,
    place,
    provider,
    shop,
    state_of,
    wired,
    worker,
)

__all__ = ["client", "default_items", "fulfilled", "live", "place", "provider", "shop", "state_of", "wired", "worker"]


@pytest.fixture(scope="module")
def journal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("provider-sim-journal")


@pytest.fixture(scope="module")
def sim_process(journal_dir: Path) -> Iterator[ProviderSimProcess]:
    """The simulator of these tests, journaling into a directory of their own (not the session's)."""
    with ProviderSimProcess(env={"PROVIDER_SIM_JOURNAL": str(journal_dir)}) as process:
        yield process


@pytest.fixture
def journal(sim: ProviderSimProcess, journal_dir: Path) -> JournalWindow:
    return JournalWindow(journal_dir, sim)


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
        capture_method=capture_method,  # type: ignore[arg-type]
    )
