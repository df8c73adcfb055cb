"""Every (state, next state) pair against the real database: allowed moves apply and append exactly one event;
every other move is refused and changes nothing."""

import pytest
from sqlalchemy import Engine

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders import repository, service
from checkout_engine.orders.model import TRANSITIONS, EventKind, InvalidTransition, OrderState
from support.orders import make_order


@pytest.mark.parametrize("source", list(OrderState), ids=lambda s: s.value)
def test_each_move_from_a_state_applies_only_if_the_table_allows_it(engine: Engine, source: OrderState) -> None:
    for target in OrderState:
        order = make_order(engine, source)
        with UnitOfWork(engine) as uow:
            events_before = repository.events_for(uow.connection, order.id)
        with UnitOfWork(engine) as uow:
            if target in TRANSITIONS[source]:
                moved = service.transition(uow, order, target, reason="test", actor="tester", provider_event_id="evt_1")
                uow.commit()
                assert moved.state is target and moved.version == order.version + 1
            else:
                with pytest.raises(InvalidTransition):
                    service.transition(uow, order, target, reason="test", actor="tester")
                uow.commit()
        with UnitOfWork(engine) as uow:
            stored = repository.get_order(uow.connection, order.id)
            events = repository.events_for(uow.connection, order.id)
        assert stored is not None
        if target in TRANSITIONS[source]:
            assert stored.state is target
            assert len(events) == len(events_before) + 1
            last = events[-1]
            assert (last.kind, last.from_state, last.to_state) == (EventKind.TRANSITION, source, target)
            assert (last.reason, last.actor, last.provider_event_id) == ("test", "tester", "evt_1")
        else:
            assert stored.state is source and stored.version == order.version
            assert events == events_before


@pytest.mark.sqlite
def test_a_new_order_starts_as_draft_with_its_creation_event_and_snapshot(engine: Engine) -> None:
    order = make_order(engine)
    with UnitOfWork(engine) as uow:
        events = repository.events_for(uow.connection, order.id)
        snapshot = repository.snapshot_for(uow.connection, order.id)
    assert order.state is OrderState.DRAFT
    assert [(e.from_state, e.to_state, e.reason) for e in events] == [(None, OrderState.DRAFT, "order_created")]
    assert snapshot is not None and snapshot.total == order.total == 3210


@pytest.mark.sqlite
def test_a_transition_rolled_back_with_its_unit_of_work_leaves_no_trace(engine: Engine) -> None:
    order = make_order(engine, OrderState.PAYMENT_PENDING)
    with UnitOfWork(engine) as uow:
        service.transition(uow, order, OrderState.PAID, reason="test", actor="tester")
        # no commit: the unit of work rolls back on exit
    with UnitOfWork(engine) as uow:
        assert service.get_order(uow, order.id).state is OrderState.PAYMENT_PENDING
        assert len(repository.events_for(uow.connection, order.id)) == 1


@pytest.mark.sqlite
def test_review_flag_is_set_and_cleared_through_events(engine: Engine) -> None:
    order = make_order(engine, OrderState.PAID)
    with UnitOfWork(engine) as uow:
        flagged = service.flag_for_review(uow, order, reason="amount mismatch", actor="reconciliation")
        uow.commit()
    assert flagged.needs_review and flagged.review_reason == "amount mismatch" and flagged.state is OrderState.PAID
    with UnitOfWork(engine) as uow:
        cleared = service.clear_review(uow, flagged, reason="checked with provider", actor="support:ana")
        uow.commit()
    assert not cleared.needs_review and cleared.review_reason is None
    with UnitOfWork(engine) as uow:
        kinds = [(e.kind, e.reason, e.actor) for e in repository.events_for(uow.connection, order.id)][1:]
    assert kinds == [
        (EventKind.REVIEW_FLAGGED, "amount mismatch", "reconciliation"),
        (EventKind.REVIEW_CLEARED, "checked with provider", "support:ana"),
    ]
