"""The idempotency keys sent to the provider, kept beside our records: one key per operation until a refusal
spends it, then the next generation's; and two workers asking at once get the same key."""

import threading

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.db.tables import provider_keys
from checkout_engine.payments.provider_keys import ProviderKeys

ROUNDS = 10


def test_a_key_is_the_same_until_a_refusal_spends_it_then_the_next_generation_follows(engine: Engine) -> None:
    keys = ProviderKeys(engine)
    first = keys.current("capture", "pat_1")
    assert first == "ce:capture:pat_1" and keys.current("capture", "pat_1") == first
    assert keys.current("cancel", "pat_1") == "ce:cancel:pat_1"  # each operation has its own

    keys.spend(first, because="payment_intent_unexpected_state")
    keys.spend(first, because="said twice")  # the first reason stays
    second = keys.current("capture", "pat_1")
    assert second == "ce:capture:pat_1:2" and keys.current("capture", "pat_1") == second
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(provider_keys.c.key, provider_keys.c.spent_because)
            .where(provider_keys.c.operation == "capture")
            .order_by(provider_keys.c.generation)
        ).all()
    assert [tuple(row) for row in rows] == [(first, "payment_intent_unexpected_state"), (second, None)]


def test_workers_asking_for_the_next_key_at_once_agree_on_it(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    keys = ProviderKeys(engine)
    try:
        for round_ in range(ROUNDS):
            record = f"rf_{round_}"
            keys.spend(keys.current("refund", record), because="refused")
            barrier = threading.Barrier(2)
            seen: list[str] = []

            def ask(record: str = record, barrier: threading.Barrier = barrier, seen: list[str] = seen) -> None:
                barrier.wait(timeout=10)
                seen.append(keys.current("refund", record))

            threads = [threading.Thread(target=ask) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=10)
            assert seen == [f"ce:refund:{record}:2"] * 2
    finally:
        engine.dispose()
