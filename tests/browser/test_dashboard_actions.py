"""Acting on orders from the dashboard: each action with a reason and an audit entry, shown only to the roles
allowed to use it, refused without the session's CSRF token, and dangerous ones only with a ticked confirmation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import refunds
from support.pipeline import Pipeline

Login = Callable[[Page, Role], None]
Place = Callable[..., dict[str, Any]]
REASON = "Why? (kept in the audit log)"


def refund_amounts(engine: Engine, order_id: str) -> list[int]:
    with engine.connect() as conn:
        query = sa.select(refunds.c.amount).where(refunds.c.order_id == order_id).order_by(refunds.c.created_at)
        return [int(amount) for amount in conn.execute(query).scalars()]


def start_refund(page: Page, amount: str, reason: str) -> None:
    form = page.locator("form.action").filter(has=page.get_by_role("button", name="Start refund"))
    form.get_by_label("Amount (EUR)").fill(amount)
    form.get_by_placeholder(REASON).fill(reason)
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Start refund").click()


def test_support_replays_a_failed_webhook_and_the_order_is_paid_and_fulfilled_once(
    live: str,
    page: Page,
    login: Login,
    failed_webhook: Callable[[], tuple[str, str]],
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> None:
    order_id, event_id = failed_webhook()
    assert state_of(order_id) == "payment_pending"
    login(page, Role.SUPPORT)
    page.locator(".tile").filter(has_text="failed webhooks").click()
    row = page.get_by_role("row").filter(has_text=event_id)
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("ProviderUnavailable")

    wired.sim.clear_faults()  # the provider is back
    row.get_by_placeholder(REASON).fill("provider outage is over")
    row.get_by_role("button", name="Replay").click()
    expect(page.get_by_role("status")).to_have_text(f"Webhook event {event_id} queued for processing again.")
    wired.until(lambda: state_of(order_id) == "fulfilled", what="the replayed event to pay and fulfil the order")

    page.goto(f"{live}/ops/orders/{order_id}")
    expect(page.locator("#webhooks").get_by_role("row").filter(has_text=event_id)).to_contain_text("processed")
    expect(page.locator("#events").get_by_role("row").filter(has_text="payment_pending →")).to_contain_text(event_id)
    page.goto(f"{live}/ops/audit?action=webhook_event.replay")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("user:support@shop.test (support)")
    expect(page.locator("tbody tr")).to_contain_text("provider outage is over")


def test_support_refunds_within_its_limit_asks_for_approval_above_it_and_finance_may_go_beyond(
    live: str, page: Page, new_page: Callable[[], Page], login: Login, fulfilled: Place, engine: Engine
) -> None:
    order_id = fulfilled()["order_id"]  # 28.75 EUR; support may refund 10.00 EUR per order here
    login(page, Role.SUPPORT)
    page.goto(f"{live}/ops/orders/{order_id}")
    expect(page.locator("#actions")).to_contain_text("Your role may refund up to 10.00 EUR per order;")
    start_refund(page, "6.00", "scratched on arrival")
    expect(page.get_by_role("status")).to_contain_text("of 6.00 EUR requested.")
    start_refund(page, "4.01", "goodwill on top")
    expect(page.get_by_role("status")).to_contain_text(
        "Support may refund at most 10.00 EUR per order; 6.00 EUR is already refunded or on its way. "
        "Approval request apr_"
    )
    expect(page.locator("#approvals tbody tr")).to_have_count(1)
    expect(page.locator("#approvals tbody tr")).to_contain_text("4.01 EUR")
    assert refund_amounts(engine, order_id) == [600]
    expect(page.locator("#refunds tbody tr")).to_have_count(1)
    expect(page.locator("#audit")).to_contain_text("refund.request")

    finance = new_page()
    login(finance, Role.FINANCE)
    finance.goto(f"{live}/ops/orders/{order_id}")
    expect(finance.locator("#actions")).not_to_contain_text("Your role may refund up to")
    start_refund(finance, "12.00", "courier lost the second parcel")
    expect(finance.get_by_role("status")).to_contain_text("of 12.00 EUR requested.")
    assert refund_amounts(engine, order_id) == [600, 1200]


def test_a_viewer_sees_no_action_buttons_and_the_server_refuses_their_posts(
    live: str, page: Page, login: Login, fulfilled: Place, state_of: Callable[[str], str]
) -> None:
    order_id = fulfilled()["order_id"]
    login(page, Role.VIEWER)
    for path in (f"/ops/orders/{order_id}", "/ops/webhooks", "/ops/jobs?status=", "/ops/reconciliation?status="):
        page.goto(f"{live}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("main form[method=post]")).to_have_count(0)  # filters only, nothing that acts

    page.goto(f"{live}/ops/orders/{order_id}")
    token = page.locator("input[name=csrf_token]").first.input_value()
    posted = page.request.post(
        f"{live}/ops/orders/{order_id}/actions/mark_for_review", form={"csrf_token": token, "reason": "just looking"}
    )
    assert posted.status == 403 and "needs the support role" in posted.text()
    page.reload()
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("needs review")


def test_form_posts_without_the_sessions_csrf_token_are_refused(
    live: str, page: Page, new_page: Callable[[], Page], login: Login, place: Place
) -> None:
    order_id = place()["order_id"]
    login(page, Role.ADMIN)
    action = f"{live}/ops/orders/{order_id}/actions/mark_for_review"
    assert page.request.post(action, form={"reason": "forged"}).status == 403
    assert page.request.post(action, form={"reason": "forged", "csrf_token": "guessed"}).status == 403
    other = new_page()
    login(other, Role.ADMIN)
    others_token = other.locator("input[name=csrf_token]").first.input_value()
    assert page.request.post(action, form={"reason": "forged", "csrf_token": others_token}).status == 403
    stranger = new_page()
    credentials = {"email": "admin@shop.test", "password": "correct horse battery staple"}
    assert stranger.request.post(f"{live}/ops/login", form=credentials).status == 403

    page.goto(f"{live}/ops/orders/{order_id}")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("needs review")
    expect(page.locator("#audit")).to_contain_text("No staff actions on this order.")
    own_token = page.locator("input[name=csrf_token]").first.input_value()
    accepted = page.request.post(action, form={"reason": "looks odd", "csrf_token": own_token})
    assert accepted.status == 200  # after the redirect back to the order
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("needs review")


def test_an_admin_cancels_an_unpaid_order_only_with_the_confirmation_ticked(
    live: str, page: Page, login: Login, place: Place, state_of: Callable[[str], str]
) -> None:
    order_id = place()["order_id"]
    login(page, Role.ADMIN)
    page.goto(f"{live}/ops/orders/{order_id}")
    token = page.locator("input[name=csrf_token]").first.input_value()
    unticked = {"csrf_token": token, "reason": "test order"}  # what the browser itself would not send
    posted = page.request.post(f"{live}/ops/orders/{order_id}/cancel", form=unticked)
    assert "Tick the box to confirm the cancellation." in posted.text()
    assert state_of(order_id) == "payment_pending"

    form = page.locator("form.action").filter(has=page.get_by_role("button", name="Cancel order"))
    form.get_by_placeholder(REASON).fill("customer asked by phone")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_role("status")).to_contain_text("Order cancelled")
    expect(page.get_by_role("heading", level=1)).to_contain_text("cancelled")
    assert state_of(order_id) == "cancelled"
