"""Finding orders and reading one: searched by the provider's payment id, with its payment attempts, the provider's
live word and the raw webhook timeline side by side; and the overview of what is stuck, with its hourly chart."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from checkout_engine.admin.roles import Role
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import orders
from checkout_engine.payments.model import PaymentDeclined
from checkout_engine.payments.provider import PaymentProvider
from support.pipeline import Pipeline

Login = Callable[[Page, Role], None]
Place = Callable[..., dict[str, Any]]
Shot = Callable[[Page, str], None]


def test_an_order_found_by_its_provider_payment_id_shows_its_payments_and_webhook_timeline(
    live: str, page: Page, login: Login, fulfilled: Place, screenshot: Shot
) -> None:
    order = fulfilled({"SHIRT": 1, "EBOOK": 1})
    payment_id = order["payment"]["provider_payment_id"]
    login(page, Role.SUPPORT)
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("searchbox").fill(payment_id)
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(f"{live}/ops/orders/{order['order_id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("fulfilled")

    payments = page.locator("#payments")
    expect(payments.get_by_role("row").filter(has_text=payment_id)).to_contain_text("succeeded")
    # Whichever event arrives first is judged against the provider's current object and pays the order; the
    # other is stored as ignored. Both are in the timeline with what became of them.
    webhooks = page.locator("#webhooks")
    expect(webhooks.get_by_role("row").filter(has_text="payment_intent.succeeded")).to_have_count(1)
    expect(webhooks.get_by_role("row").filter(has_text="processed")).not_to_have_count(0)
    expect(page.locator("#events")).to_contain_text("fulfillment_pending")
    expect(page.locator("#pricing")).to_contain_text("E-book")
    expect(page.locator("#provider-keys")).to_contain_text("No capture, cancel or refund sent yet.")

    payments.get_by_role("link", name="Fetch live status").click()
    expect(page.locator("#live-status")).to_contain_text("The provider says now: succeeded")
    expect(page.locator("#live-status")).not_to_contain_text("differs from ours")
    screenshot(page, "order.png")


def test_an_unknown_id_is_reported_and_the_list_filters_by_state(
    live: str, page: Page, login: Login, place: Place, fulfilled: Place
) -> None:
    paid = fulfilled()
    pending = place()
    login(page, Role.VIEWER)
    page.goto(f"{live}/ops/orders?q=pi_does_not_exist")
    expect(page.get_by_role("status")).to_contain_text("No order, payment or refund has the id 'pi_does_not_exist'")
    page.get_by_label("State").select_option("payment_pending")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(pending["order_id"])
    expect(page.get_by_text(paid["order_id"])).to_have_count(0)


def test_the_overview_counts_what_is_stuck_and_charts_checkouts_and_payments_per_hour(
    live: str,
    page: Page,
    login: Login,
    place: Place,
    fulfilled: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    engine: Engine,
    state_of: Callable[[str], str],
    screenshot: Shot,
) -> None:
    fulfilled()
    declined = place()
    with pytest.raises(PaymentDeclined):
        provider.confirm(declined["payment"]["provider_payment_id"], payment_method="pm_card_chargeDeclined")
    wired.until(lambda: state_of(declined["order_id"]) == "payment_failed", what="the decline to arrive")
    stuck = place()
    with engine.begin() as conn:  # as if the customer had left its payment page an hour ago
        conn.execute(
            orders.update().where(orders.c.id == stuck["order_id"]).values(updated_at=utcnow() - timedelta(hours=1))
        )

    login(page, Role.VIEWER)
    expect(page.locator(".tile").filter(has_text="stuck orders")).to_contain_text("1")
    expect(page.locator("#stuck")).to_contain_text(stuck["order_id"])
    expect(page.locator(".tile").filter(has_text="last successful reconciliation")).to_contain_text("never")
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()
    # Summed over the bars' titles, as the orders may fall either side of an hour boundary.
    assert charted(page, "checkouts") == 3
    assert charted(page, "succeeded") == charted(page, "failed") == 1
    screenshot(page, "overview.png")


def charted(page: Page, series: str) -> int:
    """What the chart's bars of one series add up to, read from their titles (``"14:00 UTC: 3 checkouts"``)."""
    titles = page.locator(f"svg.chart rect.{series} title").all_text_contents()
    matches = [re.fullmatch(rf"\d\d:00 UTC: (\d+) {series}", title) for title in titles]
    assert all(matches), titles
    return sum(int(match[1]) for match in matches if match)
