"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the product served over real
HTTP on its own PostgreSQL database, with the simulator process as the provider and a worker the test drives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from checkout_engine.admin import users
from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import jobs
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.pipeline import Pipeline
from support.stack import client, fulfilled, live, place, provider, settings, shop, state_of, wired, worker

__all__ = ["client", "fulfilled", "live", "place", "provider", "settings", "shop", "state_of", "wired", "worker"]

PASSWORD = "correct horse battery staple"
SUPPORT_REFUND_LIMIT = 1000  # 10.00 EUR
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIRS = (ROOT / "docs" / "screenshots", ROOT / "test-artifacts")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def email_of(role: Role) -> str:
    return f"{role.label}@shop.test"


@pytest.fixture(autouse=True)
def support_refund_limit(settings: Settings) -> None:
    """Below one order's total, so the tests can cross it."""
    settings.support_refund_limit = SUPPORT_REFUND_LIMIT


@pytest.fixture
def staff(engine: Engine) -> None:
    """One login per role, all with the same password."""
    with engine.begin() as conn:
        for role in Role:
            users.create(conn, email=email_of(role), role=role, password=PASSWORD)


@pytest.fixture
def default_items() -> dict[str, int]:
    """One shirt: 28.75 EUR with shipping and tax, above the support refund limit set here."""
    return {"SHIRT": 1}


@pytest.fixture
def failed_webhook(
    place: Callable[..., dict[str, Any]], provider: PaymentProvider, wired: Pipeline, worker: Worker, engine: Engine
) -> Callable[[], tuple[str, str]]:
    """A card payment whose success event could not be processed (the provider answers 500 to every look-up until
    the test clears its faults) and whose processing job gave up at once. Gives the order id and the event id."""

    def failed() -> tuple[str, str]:
        wired.sim.configure_webhooks(drop_rate=1.0)  # the test delivers by hand
        order = place()
        intent = order["payment"]["provider_payment_id"]
        provider.confirm(intent, payment_method="pm_card_visa")
        wired.sim.add_fault("GET", "/v1/payment_intents/", "error_500", count=1000)
        event = next(e for e in wired.events_for(intent) if e["type"] == "payment_intent.succeeded")
        assert wired.deliver(event).status_code == 200
        with engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.kind == PROCESS_WEBHOOK).values(max_attempts=1))
        worker.drain()
        return order["order_id"], event["id"]

    return failed


# -- The browser ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Opens pages in browser contexts of their own (cookie jars of their own), closed after the test."""
    contexts = []

    def opened() -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


@pytest.fixture
def login(live: str, staff: None) -> Callable[[Page, Role], None]:
    """Logs ``page`` in through the login form with the account of ``role``."""

    def logged_in(page: Page, role: Role) -> None:
        page.goto(f"{live}/ops/login")
        page.get_by_label("Email").fill(email_of(role))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live}/ops/")

    return logged_in


@pytest.fixture
def screenshot() -> Callable[[Page, str], None]:
    """Saves the whole page into docs/screenshots (kept with the docs) and test-artifacts (kept by CI)."""

    def save(page: Page, name: str) -> None:
        for directory in SCREENSHOT_DIRS:
            directory.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(directory / name), full_page=True)

    return save
