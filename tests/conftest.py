"""Shared fixtures: a real PostgreSQL database per test (cloned from a migrated template), SQLite for the smoke
subset, and an in-process API client bound to either."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr
from sqlalchemy.engine import Engine, make_url

from checkout_engine.api.app import create_app
from checkout_engine.db import migrate
from checkout_engine.db.engine import make_engine
from checkout_engine.settings import Settings
from support.provider_sim_process import ProviderSimProcess

# Every simulator the suite starts journals its exchanges; the session ends by checking them against Stripe's spec.
pytest_plugins = ["conformance.plugin"]

ADMIN_KEY = "test-bootstrap-admin-key"
PG_ADMIN_URL = os.environ.get("CHECKOUT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

# Hypothesis profiles, registered here so that `--hypothesis-profile` finds them: `long` explores deeply
# (tests/model runs a bounded CI budget otherwise; see tests/model/test_checkout_model.py).
hypothesis_settings.register_profile("long", max_examples=200, stateful_step_count=50, deadline=None)


def _admin_engine() -> Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _url_for(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def _create_database(template: str | None = None) -> str:
    name = f"ce_test_{uuid.uuid4().hex[:12]}"
    clone = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clone}')
    admin.dispose()
    return name


def _drop_database(name: str) -> None:
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A database migrated once per test session; every test clones it (CREATE DATABASE ... TEMPLATE)."""
    name = _create_database()
    engine = make_engine(_url_for(name), pool_size=1)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    _drop_database(name)


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own, at the current schema, dropped afterwards."""
    name = _create_database(template=pg_template)
    yield _url_for(name)
    _drop_database(name)


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A PostgreSQL database with no schema at all."""
    name = _create_database()
    yield _url_for(name)
    _drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'checkout.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``sqlite`` run once per backend; every other database test runs on PostgreSQL only."""
    if "db_url" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("sqlite") is not None
        metafunc.parametrize("db_url", ["postgresql", "sqlite"] if both else ["postgresql"], indirect=True)


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "pg_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, bootstrap_admin_key=SecretStr(ADMIN_KEY))


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="session")
def sim_process() -> Iterator[ProviderSimProcess]:
    """One provider simulator process per test worker."""
    with ProviderSimProcess() as process:
        yield process


@pytest.fixture
def sim(sim_process: ProviderSimProcess) -> ProviderSimProcess:
    """The simulator, forgotten clean before the test."""
    sim_process.reset()
    return sim_process
