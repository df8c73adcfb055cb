"""The real stack for the Schemathesis run, started once for the module: a PostgreSQL database of its own (cloned
from the migrated template), the session's simulator process, `checkout-engine serve` and one `checkout-engine
worker`, with the small test catalog written through the admin API. The schema is the one the running API serves at
`/openapi.json`. A failure's report carries the errors the processes logged meanwhile (a server error's traceback),
and the first failure of each test the end of every process's log."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import cast

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.schemas import BaseSchema

from fuzz.config import active_profile, schemathesis_config
from model.conftest import root_conftest
from support.catalog import seed_catalog
from support.processes import ADMIN_KEY, ApiProcess, Fleet, send_webhooks_to
from support.provider_sim_process import ProviderSimProcess

FUZZ_FLEET = pytest.StashKey[Fleet]()
ERRORS_REPORTED = pytest.StashKey[int]()  # error lines already attached to a failure's report
LOGS_ATTACHED = pytest.StashKey[bool]()  # a test's failure already carries the processes' logs
ERROR_MARKERS = ('"level": "error"', '"level": "critical"', "Traceback (most recent call last)", "ERROR:")
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}
SCHEMA_TIMEOUT_SECONDS = 30


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Schemathesis 4.32's `from_fixture` reads and renames a test's `Node._nodeid`, which pytest 9.2 replaced
    by a structured `_id`: give it the attribute (renaming it then changes nothing; the subtests still name each
    operation). Remove once schemathesis supports pytest 9.2."""
    if not hasattr(item, "_nodeid"):
        setattr(item, "_nodeid", item.nodeid)  # noqa: B010 (an attribute pytest does not declare)


def error_lines(fleet: Fleet) -> list[str]:
    """Every line any process logged at error level (a server error's traceback among them), in order."""
    return [
        f"{process.name}: {line}"
        for process in fleet.processes()
        for line in process.log_text().splitlines()
        if any(marker in line for marker in ERROR_MARKERS)
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure of an operation (a subtest) or of a test gets the errors the processes logged since the failure
    before it; the first failure of each test also gets the end of every process's log."""
    report = yield
    fleet = item.config.stash.get(FUZZ_FLEET, None)
    if fleet is None or not report.failed:
        return report
    errors = error_lines(fleet)
    reported = item.config.stash.get(ERRORS_REPORTED, 0)
    if errors[reported:]:
        report.sections.append(("checkout-engine errors", "\n".join(errors[reported:])))
    item.config.stash[ERRORS_REPORTED] = len(errors)
    if not item.stash.get(LOGS_ATTACHED, False):
        report.sections.append(("checkout-engine process logs", fleet.logs()))
        item.stash[LOGS_ATTACHED] = True
    return report


@pytest.fixture(scope="module")
def fuzz_database_url(pg_template: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of the module's own at the current schema (the root conftest's helpers clone and drop it)."""
    helpers = root_conftest(request.config)
    name: str = helpers._create_database(template=pg_template)
    yield helpers._url_for(name)
    helpers._drop_database(name)


@pytest.fixture(scope="module")
def fuzz_api(
    request: pytest.FixtureRequest,
    fuzz_database_url: str,
    sim_process: ProviderSimProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApiProcess]:
    """The API process and one worker, ready, on a seeded catalog; the simulator delivers its webhooks to it."""
    sim_process.reset()
    log_dir = tmp_path_factory.mktemp("fuzz-logs")
    with Fleet(database_url=fuzz_database_url, sim_url=sim_process.url, log_dir=log_dir) as fleet:
        request.config.stash[FUZZ_FLEET] = fleet
        try:
            api = fleet.start(workers=1)
            send_webhooks_to(sim_process, api)
            with httpx.Client(base_url=api.url, timeout=60) as client:
                seed_catalog(cast(TestClient, client), ADMIN_HEADERS)  # the same calls as in-process
            yield api
        finally:
            del request.config.stash[FUZZ_FLEET]


@pytest.fixture(scope="module")
def api_schema(fuzz_api: ApiProcess) -> BaseSchema:
    """The OpenAPI schema as the running API serves it, configured for the active profile."""
    config = schemathesis_config(active_profile(), base_url=fuzz_api.url, headers=ADMIN_HEADERS)
    url = f"{fuzz_api.url}/openapi.json"
    return schemathesis.openapi.from_url(url, config=config, timeout=SCHEMA_TIMEOUT_SECONDS)
