"""Fulfilment safety: every order being or already fulfilled has a durable paid transition carrying a provider
reference. Anything else is flagged at once."""

from __future__ import annotations

import sqlalchemy as sa

from checkout_engine.db.tables import order_events, orders
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders import service as order_service
from checkout_engine.orders.model import FULFILLING, OrderState
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.run import Run

NAME = "fulfillment_safety"
REASON = "fulfilment without a paid transition backed by the provider"


def check(run: Run) -> None:
    proven = sa.select(order_events.c.id).where(
        order_events.c.order_id == orders.c.id,
        order_events.c.to_state == OrderState.PAID.value,
        order_events.c.provider_event_id.is_not(None),
    )
    with run.engine.connect() as conn:
        run.tally.saw(
            NAME,
            int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(orders).where(orders.c.state.in_(FULFILLING))
                ).scalar_one()
            ),
        )
        unproven = conn.execute(
            sa.select(orders.c.id, orders.c.state).where(orders.c.state.in_(FULFILLING), ~sa.exists(proven))
        ).all()
    for order_id, state in unproven:
        with UnitOfWork(run.engine) as uow:
            order = order_service.get_order(uow, order_id)
            if not order.needs_review:
                order_service.flag_for_review(uow, order, reason=REASON, actor="reconciliation")
            uow.commit()
        run.report(Finding(Kind.FULFILLED_WITHOUT_PROOF, order_id, Action.FLAGGED, order_id, {"state": state}))
