"""The operations pages: dead jobs retried by support, reconciliation findings resolved with a note and runs
requested by finance, each audited, and none of it offered to a role that may not do it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from checkout_engine.admin.roles import Role
from checkout_engine.clock import utcnow
from checkout_engine.reconciliation import repository as reconciliation
from checkout_engine.reconciliation.model import Action, Finding, Kind, Tally
from support.pipeline import Pipeline

Login = Callable[[Page, Role], None]
REASON = "Why? (kept in the audit log)"


def plant_finding(engine: Engine, order_id: str) -> None:
    """A finished run that flagged an amount mismatch for a person to look at."""
    with engine.begin() as conn:
        run_id = reconciliation.start(conn, trigger="schedule", since=utcnow() - timedelta(days=1))
        mismatch = Finding(
            Kind.AMOUNT_MISMATCH,
            "pi_planted",
            Action.FLAGGED,
            order_id=order_id,
            believed={"amount": 2875},
            provider_says={"amount": 2800},
        )
        reconciliation.record(conn, run_id, mismatch)
        reconciliation.finish(conn, run_id, Tally(findings=1), cursor=utcnow(), error=None)


def test_support_retries_a_dead_job_which_then_pays_and_fulfils_the_order(
    live: str,
    page: Page,
    login: Login,
    failed_webhook: Callable[[], tuple[str, str]],
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> None:
    order_id, _ = failed_webhook()
    login(page, Role.SUPPORT)
    page.locator(".tile").filter(has_text="dead jobs").click()
    row = page.locator("tbody tr").filter(has_text="process_webhook")
    expect(row).to_contain_text("dead")
    expect(row).to_contain_text("1 / 1")

    wired.sim.clear_faults()
    row.get_by_placeholder(REASON).fill("provider outage is over")
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("(process_webhook) queued again with fresh attempts.")
    expect(page.locator("tbody tr")).to_contain_text("No jobs with this status.")
    wired.until(lambda: state_of(order_id) == "fulfilled", what="the retried job to pay and fulfil the order")


def test_finance_resolves_a_finding_with_a_note_and_requests_a_run_which_support_is_not_offered(
    live: str,
    page: Page,
    new_page: Callable[[], Page],
    login: Login,
    place: Callable[..., dict[str, str]],
    engine: Engine,
) -> None:
    order_id = place()["order_id"]
    plant_finding(engine, order_id)
    support = new_page()
    login(support, Role.SUPPORT)
    support.goto(f"{live}/ops/reconciliation")
    expect(support.locator("tbody tr").filter(has_text="pi_planted")).to_contain_text("open")
    expect(support.locator("main form[method=post]")).to_have_count(0)

    login(page, Role.FINANCE)
    expect(page.locator(".tile").filter(has_text="open reconciliation findings")).to_contain_text("1")
    expect(page.locator(".tile").filter(has_text="last successful reconciliation")).to_contain_text(" UTC")
    page.locator(".tile").filter(has_text="open reconciliation findings").click()
    row = page.locator("tbody tr").filter(has_text="pi_planted")
    row.get_by_placeholder("What was done (kept with the finding)").fill("provider fee, expected")
    row.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_contain_text("resolved.")
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Filter").click()
    resolved = page.locator("tbody tr").filter(has_text="pi_planted")
    expect(resolved).to_contain_text("provider fee, expected")
    expect(resolved).to_contain_text("user:finance@shop.test")

    page.goto(f"{live}/ops/orders/{order_id}")
    rerun = page.locator("form.action").filter(has=page.get_by_role("button", name="Re-run reconciliation"))
    rerun.get_by_placeholder(REASON).fill("double-check after the fix")
    rerun.get_by_role("button", name="Re-run reconciliation").click()
    expect(page).to_have_url(f"{live}/ops/orders/{order_id}")
    expect(page.get_by_role("status")).to_have_text("Reconciliation run queued.")
    page.goto(f"{live}/ops/reconciliation")
    page.get_by_placeholder(REASON).fill("once more")
    page.get_by_role("button", name="Start a run now").click()
    expect(page.get_by_role("status")).to_have_text("A reconciliation run is already queued or running.")
    page.goto(f"{live}/ops/audit")
    for action in ("finding.resolve", "reconciliation.request"):
        expect(page.locator("tbody tr").filter(has_text=action).first).to_contain_text("user:finance@shop.test")
