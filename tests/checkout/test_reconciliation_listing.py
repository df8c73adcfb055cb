"""The pending sweep over a backlog: the provider's word comes from its list endpoint, 100 intents a call, instead
of one read per order; an intent the listing does not hold is read on its own, so none is missed."""

from collections import Counter
from datetime import timedelta
from typing import Any, cast

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import payment_attempts, reconciliation_findings
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation import listing
from checkout_engine.reconciliation.checks import pending_payments
from checkout_engine.reconciliation.service import reconcile
from checkout_engine.settings import Settings
from support.pipeline import Pipeline

ORDERS = 24
PAGE = 10  # several pages, so listed intents are carried across page borders


class CountingProvider:
    """The real provider, with a count of the calls made through it (a listing of a window counts as "window")."""

    def __init__(self, inner: PaymentProvider) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls["window" if kwargs.get("created_until") is not None else name] += 1
            return attribute(*args, **kwargs)

        return counted


@pytest.fixture
def backlog(
    shop: TestClient, provider: PaymentProvider, wired: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """Orders whose webhooks never arrived: every other one paid at the provider, the rest still open there."""
    monkeypatch.setattr(pending_payments, "PAGE", PAGE)
    wired.sim.configure_webhooks(drop_rate=1.0)
    placed = [place(shop, {"EBOOK": 1}) for _ in range(ORDERS)]  # digital: no stock runs out
    for order in placed[::2]:
        provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    return placed


def sweep(engine: Engine, provider: PaymentProvider, settings: Settings) -> CountingProvider:
    counting = CountingProvider(provider)
    at_once = settings.model_copy(update={"reconcile_pending_after_seconds": 0})  # every open payment is stale
    summary = reconcile(engine, cast(PaymentProvider, counting), at_once, trigger="test", since=utcnow())
    assert summary.error is None
    assert summary.tally.checked.get("pending_payments") == ORDERS
    return counting


def states(engine: Engine, placed: list[dict[str, Any]]) -> list[str]:
    return [order_state(engine, order["order_id"]) for order in placed]


def repaired(engine: Engine) -> int:
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(reconciliation_findings.c.kind == "pending_payment")
        return int(conn.execute(query).scalar_one())


def expect_settled(engine: Engine, placed: list[dict[str, Any]]) -> None:
    assert states(engine, placed)[::2] == ["paid"] * (ORDERS // 2)
    assert states(engine, placed)[1::2] == ["payment_pending"] * (ORDERS // 2)
    assert repaired(engine) == ORDERS // 2  # each repair recorded once, with the transition it made


def test_a_backlog_of_pending_orders_is_settled_from_the_providers_list_not_one_read_each(
    backlog: list[dict[str, Any]], engine: Engine, provider: PaymentProvider, settings: Settings
) -> None:
    counting = sweep(engine, provider, settings)
    expect_settled(engine, backlog)
    assert counting.calls["retrieve"] == 0
    assert 1 <= counting.calls["window"] <= ORDERS // PAGE + 1


def test_an_intent_outside_its_attempts_window_is_read_on_its_own(
    backlog: list[dict[str, Any]], engine: Engine, provider: PaymentProvider, settings: Settings
) -> None:
    # Our records say the attempts began an hour before the provider made their intents (checkouts that resumed
    # later): the listing of that hour holds none of them.
    with engine.begin() as conn:
        made = conn.execute(sa.select(payment_attempts.c.id, payment_attempts.c.created_at)).all()
        for attempt_id, created_at in made:
            earlier = sa.update(payment_attempts).where(payment_attempts.c.id == attempt_id)
            conn.execute(earlier.values(created_at=created_at - timedelta(hours=1)))
    counting = sweep(engine, provider, settings)
    expect_settled(engine, backlog)
    assert counting.calls["window"] >= 1
    assert counting.calls["retrieve"] == ORDERS


def test_a_handful_of_stale_orders_is_read_one_by_one(
    backlog: list[dict[str, Any]], engine: Engine, provider: PaymentProvider, settings: Settings
) -> None:
    # One list call costs about as much as several reads: for three orders, reading each is cheaper.
    stale = [order["order_id"] for order in backlog[:3]]
    with engine.begin() as conn:  # only these have waited longer than the threshold
        conn.execute(
            sa.update(payment_attempts)
            .where(payment_attempts.c.order_id.in_(stale))
            .values(created_at=utcnow() - timedelta(hours=2))
        )
    counting = CountingProvider(provider)
    summary = reconcile(engine, cast(PaymentProvider, counting), settings, trigger="test", since=utcnow())
    assert summary.tally.checked.get("pending_payments") == 3
    assert counting.calls["window"] == 0
    assert counting.calls["retrieve"] == 3
    assert states(engine, backlog)[:3] == ["paid", "payment_pending", "paid"]
    assert repaired(engine) == 2


def test_attempts_made_just_after_a_page_do_not_make_its_listing_look_dear(
    backlog: list[dict[str, Any]],
    engine: Engine,
    provider: PaymentProvider,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page's listing reaches past its last attempt by the clock skew; what it finds there is kept for the next
    page, so attempts made in that band (a fast backlog's next page, or other orders') are no cost of this one."""
    monkeypatch.setattr(listing, "LISTED_PER_CALL", 10)  # scaled down with the page: list below 90 attempts
    monkeypatch.setattr(listing, "LIST_CALL_COST", 1)
    with engine.begin() as conn:
        made = conn.execute(sa.select(payment_attempts).order_by(payment_attempts.c.created_at)).mappings().all()
        just_after = made[-1]["created_at"] + listing.SKEW * 0.75
        template = dict(made[0])  # the first order's, which the provider says is paid: a later attempt is harmless
        conn.execute(
            payment_attempts.insert(),
            [
                template
                | {"id": f"pat_later{n}", "idempotency_key": f"later-{n}", "status": "canceled"}
                | {"provider_payment_id": None, "created_at": just_after}
                for n in range(100)
            ],
        )
    counting = sweep(engine, provider, settings)
    expect_settled(engine, backlog)
    assert counting.calls["retrieve"] == 0
