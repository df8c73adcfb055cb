"""Order events, pricing snapshots and the audit log can be appended to, never rewritten: the database refuses."""

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.db.tables import order_events, pricing_snapshots
from support.orders import make_order


@pytest.mark.sqlite
@pytest.mark.parametrize("table", [order_events, pricing_snapshots], ids=lambda t: t.name)
def test_history_rows_cannot_be_updated_or_deleted(engine: Engine, table: sa.Table) -> None:
    order = make_order(engine)
    for statement in (
        table.update().where(table.c.order_id == order.id).values(order_id=order.id),
        table.delete().where(table.c.order_id == order.id),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.order_id == order.id)).scalar()
            == 1
        )
