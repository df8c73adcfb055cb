"""Two writers with their own connections race to move one order from the same state: exactly one wins,
the loser sees a conflict, and history has exactly one event for the move."""

import threading

import pytest
from sqlalchemy import Engine

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError
from checkout_engine.orders import repository, service
from checkout_engine.orders.model import EventKind, OrderState, TransitionConflict
from support.orders import make_order

ROUNDS = 10


def _race(engine: Engine, targets: tuple[OrderState, OrderState]) -> tuple[list[OrderState], list[CheckoutError]]:
    order = make_order(engine, OrderState.PAYMENT_PENDING)
    barrier = threading.Barrier(len(targets))
    winners: list[OrderState] = []
    losers: list[CheckoutError] = []
    lock = threading.Lock()

    def contender(target: OrderState) -> None:
        with UnitOfWork(engine) as uow:
            seen = service.get_order(uow, order.id)  # both read the same version before either writes
            barrier.wait(timeout=10)
            try:
                service.transition(uow, seen, target, reason="race", actor=f"writer-{target}")
                uow.commit()
            except CheckoutError as error:
                with lock:
                    losers.append(error)
                return
        with lock:
            winners.append(target)

    threads = [threading.Thread(target=contender, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with UnitOfWork(engine) as uow:
        final = service.get_order(uow, order.id)
        moves = [e for e in repository.events_for(uow.connection, order.id) if e.kind is EventKind.TRANSITION][1:]
    assert len(moves) == 1 and moves[0].to_state is final.state
    assert final.version == order.version + 1
    return winners, losers


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_paid_and_failed_racing_for_one_pending_order_have_exactly_one_winner(engine: Engine, round_: int) -> None:
    winners, losers = _race(engine, (OrderState.PAID, OrderState.PAYMENT_FAILED))
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], TransitionConflict)
    assert losers[0].code == "order_state_conflict"


def test_two_identical_moves_racing_apply_once(engine: Engine) -> None:
    winners, losers = _race(engine, (OrderState.PAID, OrderState.PAID))
    assert winners == [OrderState.PAID]
    assert [error.code for error in losers] == ["order_state_conflict"]
