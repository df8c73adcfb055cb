"""The model test's fixtures: a catalog database seeded once per session, which every Hypothesis example clones
into a database of its own (the root conftest's helpers do the cloning and dropping)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from checkout_engine.api.app import create_app
from checkout_engine.db.engine import make_engine
from checkout_engine.db.tables import inventory
from checkout_engine.settings import Settings
from model.world import ADMIN_KEY, Databases
from support.catalog import put, seed_catalog

# Little stock, so that carts compete for it and expiry, late payments and re-holds matter.
STOCK = {"SHIRT": 3, "BOOK": 2}
# A coupon only one order can redeem, so that carts compete for it too (a decline, a retry, a late payment).
COUPONS = {"LASTONE": {"percent_off": 50, "max_redemptions": 1}}
ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def root_conftest(config: pytest.Config) -> ModuleType:
    """The root conftest module as pytest loaded it (every conftest outside a package is named ``conftest``, so
    ``import conftest`` may find another one)."""
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ModuleType) and Path(plugin.__file__ or "").resolve() == ROOT_CONFTEST:
            return plugin
    raise RuntimeError(f"{ROOT_CONFTEST} is not loaded")


def seed(url: str) -> dict[str, int]:
    """The test catalog with little stock and a scarce coupon, written through the admin API; returns the stock per
    SKU."""
    engine = make_engine(url, pool_size=1)
    settings = Settings(database_url=url, bootstrap_admin_key=SecretStr(ADMIN_KEY))
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with TestClient(create_app(settings, engine=engine)) as client:
        seed_catalog(client, headers)
        for sku, on_hand in STOCK.items():
            put(client, headers, f"inventory/{sku}", {"on_hand": on_hand, "reason": "model stock"})
        for code, coupon in COUPONS.items():
            put(client, headers, f"coupons/{code}", coupon)
    with engine.connect() as conn:
        stock = {row.sku: row.on_hand for row in conn.execute(sa.select(inventory.c.sku, inventory.c.on_hand))}
    engine.dispose()  # a template database must have no connections when it is cloned
    return stock


@pytest.fixture(scope="session")
def model_databases(pg_template: str, request: pytest.FixtureRequest) -> Iterator[Databases]:
    helpers = root_conftest(request.config)
    name = helpers._create_database(template=pg_template)
    stock = seed(helpers._url_for(name))
    yield Databases(
        template=name,
        stock=stock,
        create=helpers._create_database,
        drop=helpers._drop_database,
        url_for=helpers._url_for,
    )
    helpers._drop_database(name)
