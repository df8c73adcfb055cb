"""What else happens when an order reaches a state, in one place, inside the transaction of the transition.

- ``paid``: the held stock is committed (or held again, if it was released after a failure or expiry; if it is
  gone, the order is flagged for review and, when configured, refunded in full — never fulfilled); the coupon
  redemption is consumed; a receipt and the fulfilment job are written; provider events that waited for the
  order to be paid are queued again.
- ``payment_failed``: the stock goes back; the coupon stays held, as the customer may confirm the same intent again
  with another card (it goes back when the order expires).
- ``cancelled``: the stock and the coupon redemption go back.
"""

from __future__ import annotations

from checkout_engine.catalog import redemptions
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.fulfillment.service import FULFILL_ORDER
from checkout_engine.inventory import service as inventory
from checkout_engine.inventory.model import InsufficientInventory
from checkout_engine.jobs import repository as jobs
from checkout_engine.observability import tracing
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import HOLDS_COUPON, Order, OrderState
from checkout_engine.receipts import service as receipts
from checkout_engine.settings import Settings
from checkout_engine.webhooks import repository as webhook_events
from checkout_engine.webhooks.ingest import enqueue_processing

OUT_OF_STOCK_REASON = "paid but the stock is gone"
COUPON_OVER_LIMIT_REASON = "paid with a coupon whose limit was reached meanwhile"


def _stock_for_paid(uow: UnitOfWork, order: Order) -> bool:
    """Commit the order's holds; if none is held (released after a failure or expiry), hold again and commit.
    False when the stock is gone."""
    if inventory.commit(uow, order.id):
        return True
    snapshot = orders_repo.snapshot_for(uow.connection, order.id)
    assert snapshot is not None
    lines = [(line["sku"], line["quantity"]) for line in snapshot.payload["lines"]]
    savepoint = uow.connection.begin_nested()  # a partial re-hold must not survive a short line
    try:
        inventory.reserve(uow, order_id=order.id, lines=lines, expires_at=utcnow())
    except InsufficientInventory:
        savepoint.rollback()
        return False
    savepoint.commit()
    inventory.commit(uow, order.id)
    return True


def after_paid(uow: UnitOfWork, order: Order, *, settings: Settings) -> Order:
    from checkout_engine.refunds.service import paying_attempt, request_refund

    conn = uow.connection
    if redemptions.consume(conn, order.id) is redemptions.Spent.OVER_LIMIT:
        # Paid at a discount whose last redemption went to another order meanwhile: the money is in, a person
        # decides (the coupon counts as spent either way, it was).
        order = orders.flag_for_review(uow, order, reason=COUPON_OVER_LIMIT_REASON, actor="worker")
    receipts.write(
        conn,
        order,
        purpose="order_paid",
        payload={"order_id": order.id, "total": order.total, "currency": order.currency},
    )
    for event_row_id in webhook_events.held_for_order(conn, order.id):
        stored = webhook_events.get(conn, event_row_id)
        assert stored is not None
        webhook_events.record_outcome(conn, event_row_id, status="received", reason="re-evaluated after paid")
        enqueue_processing(uow, stored)
    if _stock_for_paid(uow, order):
        payload: dict[str, str] = {"order_id": order.id}
        if tracing.enabled() and (checkout_trace := orders_repo.trace_parent(conn, order.id)):
            payload[tracing.TRACEPARENT] = checkout_trace  # fulfilment joins the trace of the checkout
        jobs.enqueue(conn, FULFILL_ORDER, payload, dedupe_key=f"{FULFILL_ORDER}:{order.id}")
        return order
    order = orders.flag_for_review(uow, order, reason=OUT_OF_STOCK_REASON, actor="worker")
    attempt = paying_attempt(uow.connection, order.id)
    if settings.auto_refund_unfulfillable and attempt is not None:
        request_refund(uow, order, amount=attempt.amount_received, reason=OUT_OF_STOCK_REASON, requested_by="system")
        order = orders.get_order(uow, order.id)
    return order


def after_unpaid_end(uow: UnitOfWork, order: Order) -> None:
    """Stock goes back when payment failed or the order was cancelled before payment; the coupon only when the
    order can no longer be paid at its price."""
    inventory.release(uow, order.id)
    if order.state not in HOLDS_COUPON:
        redemptions.release(uow.connection, order.id)


def apply(uow: UnitOfWork, order: Order, *, settings: Settings) -> Order:
    """Run the effects of the state ``order`` has just reached."""
    if order.state is OrderState.PAID:
        return after_paid(uow, order, settings=settings)
    if order.state in (OrderState.PAYMENT_FAILED, OrderState.CANCELLED):
        after_unpaid_end(uow, order)
    return order
