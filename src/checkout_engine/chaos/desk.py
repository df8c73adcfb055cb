"""What the support desk does through the admin API while customers shop: order actions, a look at where a refund
stands (at the provider, its job), and a reconciliation run asked for and waited on. (Refunds themselves are
``steps.refund``.)"""

from __future__ import annotations

import time
from typing import Any

from checkout_engine.chaos.steps import POLL_SECONDS, Order, Shopper

# A reconciliation run takes up to ~20 s under a loaded run, and one under way must finish before ours begins.
RECONCILE_PATIENCE_SECONDS = 60.0
FINISHED = frozenset({"done", "dead"})  # phases of a job that will not run again by itself
TRIED = FINISHED | {"retrying"}


def _auth(shopper: Shopper) -> dict[str, str]:
    return {"Authorization": f"Bearer {shopper.admin_key}"}


def _admin(shopper: Shopper, method: str, path: str, **options: Any) -> Any:
    return shopper.store.json(method, f"/admin/v1/{path}", headers=_auth(shopper), **options)


def act(shopper: Shopper, order: Order, action: str) -> str:
    """An order action (``mark_for_review``, ``clear_review``, ``cancel``, …): ``done``, ``approval_requested``, or
    the code it was refused with (409: the order was not in a state that takes it)."""
    body = {"reason": f"chaos: {action.replace('_', ' ')}"}
    response = shopper.store.send(
        "POST", f"/admin/v1/orders/{order.id}/actions/{action}", json=body, headers=_auth(shopper)
    )
    if response.status_code == 200:
        return "done"
    if response.status_code == 202:
        return "approval_requested"
    if response.status_code != 409:
        response.raise_for_status()
    return str(response.json()["error"]["code"])


def _at_provider(shopper: Shopper, order: Order, refund_id: str) -> str | None:
    """The provider's id of our refund record, once the refund job has made (or found) it there."""
    refunds = _admin(shopper, "GET", f"orders/{order.id}")["refunds"]
    found = next((refund["provider_refund_id"] for refund in refunds if refund["id"] == refund_id), None)
    return str(found) if found else None


def provider_refund_id(shopper: Shopper, order: Order, refund_id: str) -> str | None:
    """The provider's id of our refund record; None when it has none within the desk's patience."""
    deadline = shopper.deadline()
    while (found := _at_provider(shopper, order, refund_id)) is None and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return found


def _refund_job_phase(shopper: Shopper, refund_id: str) -> str:
    """Where the refund's job stands: ``queued``, ``retrying`` (it failed, the provider's answer lost say, and
    waits to run again), ``running``, ``done`` or ``dead``; ``unseen`` when it is not among the latest jobs."""
    jobs = _admin(shopper, "GET", "jobs", params={"limit": 100})["data"]
    job = next((j for j in jobs if j["kind"] == "submit_refund" and j["payload"].get("refund_id") == refund_id), None)
    if job is None:
        return "unseen"
    return "retrying" if job["status"] == "queued" and job["last_error"] else str(job["status"])


def wait_for_refund_job(shopper: Shopper, refund_id: str, phases: frozenset[str]) -> str:
    """Watches the refund's job until it reaches one of ``phases`` or the desk's patience ends; its last phase."""
    deadline = shopper.deadline()
    while (phase := _refund_job_phase(shopper, refund_id)) not in phases and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return phase


def _latest_run(shopper: Shopper) -> dict[str, Any] | None:
    runs: list[dict[str, Any]] = _admin(shopper, "GET", "reconciliation/runs", params={"limit": 1})["data"]
    return runs[0] if runs else None


def reconcile(shopper: Shopper) -> str:
    """Asks for a reconciliation run and waits for one begun after asking to finish: its status, or ``not_run``
    when none finished in time. A run under way when the desk looks began too early: the desk asks once it has
    finished (the run asked for is queued, or one queued already begins after it)."""
    latest = _latest_run(shopper)
    floor = int(latest["id"]) if latest else 0
    deadline = shopper.deadline(RECONCILE_PATIENCE_SECONDS)
    asked = False
    while time.monotonic() < deadline:
        if not asked and (latest is None or latest["finished_at"] is not None):
            _admin(shopper, "POST", "reconciliation/runs", json={"reason": "chaos: look at open refunds"})
            asked = True
        time.sleep(POLL_SECONDS)
        latest = _latest_run(shopper)
        if latest is not None and int(latest["id"]) > floor and latest["finished_at"] is not None:
            return str(latest["status"])
    return "not_run"
