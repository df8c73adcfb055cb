"""Failure scenarios run the product as it runs in production: `checkout-engine serve` and `checkout-engine worker`
as real processes (tests/support/processes.py) on this test's own PostgreSQL database, the provider simulator as a
process delivering signed webhooks to the API over HTTP. A test steers only what a customer, an operator or the
provider could (HTTP calls, simulator faults, signals to processes) and waits for outcomes by polling with a
deadline. When a test fails, the end of every process's log is attached to its report."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient
from promises import a_ready_cart, check_out
from sqlalchemy import Engine

from checkout_engine.db.engine import make_engine
from support.catalog import seed_catalog
from support.processes import ApiProcess, Fleet, send_webhooks_to
from support.provider_sim_process import ProviderSimProcess

FLEET = pytest.StashKey[Fleet]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    fleet = item.stash.get(FLEET, None)
    if fleet is not None and report.failed:
        report.sections.append(("checkout-engine process logs", fleet.logs()))
    return report


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    """The test's database, read directly to judge outcomes (scenarios run on PostgreSQL only)."""
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    """Extra `CHECKOUT_*` variables for this test's processes; a scenario module overrides it when it needs to."""
    return {}


@pytest.fixture
def worker_count() -> int:
    """Worker processes beside the API: one, unless the scenario is about workers racing or dying (it overrides
    this with two); every process costs a second or two of the two shared cores to start."""
    return 1


@pytest.fixture
def fleet(
    request: pytest.FixtureRequest,
    pg_url: str,
    sim: ProviderSimProcess,
    scenario_settings: dict[str, str],
    tmp_path: Path,
) -> Iterator[Fleet]:
    """The test's processes, none started yet; all stopped with SIGTERM afterwards, which they must survive."""
    with Fleet(database_url=pg_url, sim_url=sim.url, log_dir=tmp_path, settings=scenario_settings) as processes:
        request.node.stash[FLEET] = processes
        yield processes


@pytest.fixture
def api(fleet: Fleet, sim: ProviderSimProcess, worker_count: int) -> ApiProcess:
    """The API process and the worker processes, ready; the simulator delivers its webhooks to this API."""
    api = fleet.start(workers=worker_count)
    send_webhooks_to(sim, api)
    return api


@pytest.fixture
def shop(api: ApiProcess, admin_headers: dict[str, str]) -> Iterator[httpx.Client]:
    """An HTTP client of the API process, over a database holding the small test catalog."""
    with httpx.Client(base_url=api.url, timeout=60) as client:
        seed_catalog(cast(TestClient, client), admin_headers)  # the same calls as in-process
        yield client


@pytest.fixture
def place(shop: httpx.Client) -> Callable[..., dict[str, Any]]:
    """Checks out a new cart (two shirts unless told otherwise); returns the checkout answer."""

    def placed(items: dict[str, int] | None = None, **cart: Any) -> dict[str, Any]:
        response = check_out(shop, a_ready_cart(shop, items, **cart), f"key-{uuid.uuid4().hex}")
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return placed
