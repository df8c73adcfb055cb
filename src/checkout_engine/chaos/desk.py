"""What the support desk does through the admin API while customers shop: order actions. (Refunds themselves are
``steps.refund``.)"""

from __future__ import annotations

from checkout_engine.chaos.steps import Order, Shopper


def _auth(shopper: Shopper) -> dict[str, str]:
    return {"Authorization": f"Bearer {shopper.admin_key}"}


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
