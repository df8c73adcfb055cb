"""The approvals queue in the dashboard: support asks for a refund beyond its limit, the request waits in the queue
(with its age, asker, action, amount and order) and on the order's page; the asker may only withdraw it; finance
approves it with a reason and the refund is made once; an admin's request to cancel a paid order is rejected by a
second admin. And every page reads at 1,280 px and up: nothing is clipped or wrapped into a column of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import approval_requests, refunds
from checkout_engine.payments.provider import PaymentProvider
from support.pipeline import Pipeline

Login = Callable[[Page, Role], None]
Place = Callable[..., dict[str, Any]]
REASON = "Why? (kept in the audit log)"


def ask_refund(page: Page, amount: str, reason: str) -> None:
    form = page.locator("form.action").filter(has=page.get_by_role("button", name="Start refund"))
    form.get_by_label("Amount (EUR)").fill(amount)
    form.get_by_placeholder(REASON).fill(reason)
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Start refund").click()


def statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(approval_requests.c.status)).scalars())


def test_finance_approves_supports_refund_from_the_queue_and_it_is_made_once(
    live: str,
    page: Page,
    new_page: Callable[[], Page],
    login: Login,
    fulfilled: Place,
    engine: Engine,
    screenshot: Callable[[Page, str], None],
) -> None:
    order_id = fulfilled()["order_id"]  # 28.75 EUR; support may refund 10.00 EUR per order here
    login(page, Role.SUPPORT)
    page.goto(f"{live}/ops/orders/{order_id}")
    ask_refund(page, "12.50", "parcel arrived crushed")
    expect(page.get_by_role("status")).to_contain_text("now waits for a second person.")
    page.goto(f"{live}/ops/approvals")
    row = page.locator("#pending tbody tr").first
    expect(row).to_contain_text("refund")
    expect(row).to_contain_text("12.50 EUR")
    expect(row).to_contain_text("user:support@shop.test")
    expect(row).to_contain_text(order_id)
    expect(row).to_contain_text("0 min")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)  # the asker may only withdraw
    expect(row.get_by_role("button", name="Withdraw")).to_be_visible()

    finance = new_page()
    login(finance, Role.FINANCE)
    expect(finance.locator(".tile").filter(has_text="approvals waiting")).to_contain_text("1")
    finance.locator(".tile").filter(has_text="approvals waiting").click()
    finance.wait_for_url(f"{live}/ops/approvals")
    waiting = finance.locator("#pending tbody tr").first
    screenshot(finance, "approvals.png")
    approve = waiting.locator("form.action").filter(has=finance.get_by_role("button", name="Approve"))
    approve.get_by_placeholder(REASON).fill("photos checked")
    approve.get_by_role("button", name="Approve").click()
    expect(finance.get_by_role("status")).to_contain_text("approved and carried out.")
    expect(finance.locator("#pending tbody tr")).to_contain_text("Nothing is waiting for approval.")
    decided = finance.locator("#decided tbody tr").first
    expect(decided).to_contain_text("approved")
    expect(decided).to_contain_text("user:finance@shop.test")
    expect(decided).to_contain_text("photos checked")
    with engine.connect() as conn:
        made = conn.execute(sa.select(refunds.c.amount, refunds.c.requested_by, refunds.c.approval_id)).all()
    assert [(amount, by) for amount, by, _ in made] == [(1250, "user:support@shop.test")] and made[0][2]
    assert statuses(engine) == ["approved"]

    finance.goto(f"{live}/ops/orders/{order_id}")
    expect(finance.locator("#approvals tbody tr")).to_contain_text("approved")
    expect(finance.locator("#refunds tbody tr")).to_contain_text("approved: apr_")


def test_a_second_admin_rejects_the_cancellation_of_a_paid_order_from_its_page(
    live: str,
    page: Page,
    new_page: Callable[[], Page],
    login: Login,
    place: Place,
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
    engine: Engine,
    shop: Any,
    admin_headers: dict[str, str],
) -> None:
    order = place()
    flagged = shop.post(
        f"/admin/v1/orders/{order['order_id']}/actions/mark_for_review", json={"reason": "hold"}, headers=admin_headers
    )
    assert flagged.status_code == 200
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: state_of(order["order_id"]) == "paid", what="payment, held back from fulfilment")

    login(page, Role.ADMIN)
    page.goto(f"{live}/ops/orders/{order['order_id']}")
    form = page.locator("form.action").filter(has=page.get_by_role("button", name="Ask to cancel"))
    form.get_by_placeholder(REASON).fill("customer called")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Ask to cancel").click()
    expect(page.get_by_role("status")).to_contain_text("only with a second admin's approval")
    expect(page.locator("#approvals")).to_contain_text("1 waiting")

    # A second admin account, for the second person.
    from checkout_engine.admin import users

    with engine.begin() as conn:
        users.create(conn, email="second-admin@shop.test", role=Role.ADMIN, password="another long passphrase")
    other = new_page()
    other.goto(f"{live}/ops/login")
    other.get_by_label("Email").fill("second-admin@shop.test")
    other.get_by_label("Password").fill("another long passphrase")
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url(f"{live}/ops/")
    other.goto(f"{live}/ops/orders/{order['order_id']}")
    reject = other.locator("#approvals form.action").filter(has=other.get_by_role("button", name="Reject"))
    reject.get_by_placeholder(REASON).fill("customer called back: keep it")
    reject.get_by_role("button", name="Reject").click()
    expect(other.get_by_role("status")).to_contain_text("rejected.")
    expect(other.locator("#approvals tbody tr")).to_contain_text("rejected")
    assert state_of(order["order_id"]) == "paid" and statuses(engine) == ["rejected"]


@pytest.mark.parametrize("width", [1280, 1400, 1920])
def test_every_page_reads_at_the_widths_staff_use(
    live: str,
    new_page: Callable[[], Page],
    login: Login,
    fulfilled: Place,
    width: int,
) -> None:
    order_id = fulfilled({"SHIRT": 2, "BOOK": 1})["order_id"]
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    login(page, Role.ADMIN)
    tile = page.locator(".tile").filter(has_text="last successful reconciliation").locator(".n")
    box = tile.bounding_box()
    assert box is not None and box["height"] < 50, box  # one line, not four
    for path in (
        "/ops/",
        f"/ops/orders/{order_id}",
        "/ops/orders",
        "/ops/approvals",
        "/ops/webhooks",
        "/ops/outgoing-webhooks",
        "/ops/jobs",
        "/ops/reconciliation",
        "/ops/audit",
    ):
        page.goto(f"{live}{path}")
        clipped = page.evaluate(
            "() => [...document.querySelectorAll('.card')]"
            ".filter(card => card.scrollWidth > card.clientWidth + 1)"
            ".map(card => card.id || card.textContent.slice(0, 40))"
        )
        assert clipped == [], (width, path, clipped)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (width, path)
