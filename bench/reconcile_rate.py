"""A reconciliation run over many orders left `payment_pending` while the provider settled them (dropped webhooks),
on PostgreSQL against the simulator: wall time and the process's peak memory.

    .venv/bin/python bench/reconcile_rate.py --orders 100000

Seeds the orders straight into a fresh database (with their carts, snapshots and attempts) and their intents at
the simulator (half succeeded, half still open), then times one `reconcile()` and prints a table; JSON goes to
bench/results/reconcile_rate.json.
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from harness import CpuMeter, fresh_database, show, write_results
from prometheus_client import REGISTRY
from provider_sim_rate import simulator_process

from checkout_engine.clock import utcnow
from checkout_engine.db.engine import make_engine
from checkout_engine.db.tables import (
    carts,
    inventory,
    inventory_reservations,
    orders,
    payment_attempts,
    pricing_snapshots,
    products,
)
from checkout_engine.payments.factory import build_provider
from checkout_engine.reconciliation.service import reconcile
from checkout_engine.settings import Settings

AMOUNT = 2500
BATCH = 1000
SKUS = 50  # each order holds one unit of one of them, as a shop's orders spread over its catalogue


def create_intents(sim_url: str, count: int) -> list[dict[str, Any]]:
    local = threading.local()  # one keep-alive connection per thread: a new one per intent costs more than the call

    def one(number: int) -> dict[str, Any]:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=sim_url, auth=("sk_test_bench", ""), timeout=30)
        data = {
            "amount": AMOUNT,
            "currency": "eur",
            "metadata[order_id]": f"ord_b{number}",
            "metadata[payment_attempt_id]": f"pat_b{number}",
        }
        if number % 2 == 0:
            data |= {"payment_method": "pm_card_visa", "confirm": "true", "return_url": "https://shop.example/back"}
        created: dict[str, Any] = local.http.post("/v1/payment_intents", data=data).raise_for_status().json()
        return created

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(count)))


def _sku(number: int) -> str:
    return f"SKU-B{number % SKUS}"


def _line(number: int) -> dict[str, Any]:
    return {
        "sku": _sku(number),
        "name": "Bench item",
        "kind": "physical",
        "quantity": 1,
        "unit_price": AMOUNT,
        "subtotal": AMOUNT,
        "discount": 0,
        "tax_rate_bp": 0,
        "tax": 0,
        "total": AMOUNT,
    }


def _stock(engine: sa.Engine, orders_count: int) -> None:
    now = utcnow()
    held = [sum(1 for n in range(orders_count) if n % SKUS == k) for k in range(SKUS)]
    with engine.begin() as conn:
        conn.execute(
            products.insert(),
            [
                {"sku": _sku(k), "name": "Bench item", "kind": "physical", "tax_class": "standard", "active": True}
                | {"created_at": now, "updated_at": now}
                for k in range(SKUS)
            ],
        )
        conn.execute(
            inventory.insert(),
            [{"sku": _sku(k), "on_hand": 10**9, "reserved": held[k], "updated_at": now} for k in range(SKUS)],
        )


def seed(database_url: str, intents: list[dict[str, Any]]) -> None:
    """Orders as a checkout leaves them: a frozen snapshot with one line, its unit held until the order expires."""
    engine = make_engine(database_url)
    _stock(engine, len(intents))
    old = utcnow() - timedelta(hours=2)
    expires = utcnow() + timedelta(hours=1)

    def snapshot(number: int) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "currency": "EUR",
            "lines": [_line(number)],
            "subtotal": AMOUNT,
            "discount_total": 0,
            "shipping_total": 0,
            "tax_total": 0,
            "total": AMOUNT,
        }

    for start in range(0, len(intents), BATCH):
        chunk = list(enumerate(intents[start : start + BATCH], start))
        with engine.begin() as conn:
            conn.execute(
                carts.insert(),
                [
                    {
                        "id": f"cart_b{n}",
                        "currency": "EUR",
                        "status": "frozen",
                        "version": 1,
                        "created_at": old,
                        "updated_at": old,
                    }
                    for n, _ in chunk
                ],
            )
            conn.execute(
                orders.insert(),
                [
                    {
                        "id": f"ord_b{n}",
                        "cart_id": f"cart_b{n}",
                        "state": "payment_pending",
                        "version": 2,
                        "needs_review": False,
                        "currency": "EUR",
                        "total": AMOUNT,
                        "token_hash": "0" * 64,
                        "expires_at": expires,
                        "created_at": old,
                        "updated_at": old,
                    }
                    for n, _ in chunk
                ],
            )
            conn.execute(
                pricing_snapshots.insert(),
                [
                    {
                        "order_id": f"ord_b{n}",
                        "currency": "EUR",
                        "total": AMOUNT,
                        "payload": snapshot(n),
                        "hash": "0" * 64,
                        "created_at": old,
                    }
                    for n, _ in chunk
                ],
            )
            conn.execute(
                inventory_reservations.insert(),
                [
                    {
                        "order_id": f"ord_b{n}",
                        "sku": _sku(n),
                        "quantity": 1,
                        "status": "active",
                        "expires_at": expires,
                        "created_at": old,
                    }
                    for n, _ in chunk
                ],
            )
            conn.execute(
                payment_attempts.insert(),
                [
                    {
                        "id": f"pat_b{n}",
                        "order_id": f"ord_b{n}",
                        "provider": "stripe",
                        "provider_payment_id": intent["id"],
                        "amount": AMOUNT,
                        "currency": "EUR",
                        "status": "pending",
                        "raw_status": "requires_payment_method",
                        "idempotency_key": f"ce:create_intent:pat_b{n}",
                        "metadata_hash": "0" * 64,
                        "created_at": datetime.fromtimestamp(intent["created"], UTC),  # as the provider saw it
                        "updated_at": old,
                    }
                    for n, intent in chunk
                ],
            )
    engine.dispose()


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # this process only: the simulator is measured on its own
    return usage.ru_utime + usage.ru_stime


def _round_trips() -> tuple[float, float]:
    """The engine's own counters of SQL statements and commits, in this process."""
    read = REGISTRY.get_sample_value
    return read("checkout_db_statements_total") or 0.0, read("checkout_db_commits_total") or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    with fresh_database() as database_url, simulator_process() as (sim_url, sim_pid):
        intents = create_intents(sim_url, args.orders)
        seed(database_url, intents)
        settings = Settings(  # the pending sweep is what is timed here: the self-check reads the whole book
            database_url=database_url,
            stripe_api_base=sim_url,
            stripe_secret_key="sk_test_bench",  # type: ignore[arg-type]
            reconcile_self_check=False,
            reconcile_pending_after_seconds=1,  # every open payment is due, though its intent was made just now
        )
        engine = make_engine(database_url)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        meter = CpuMeter({"simulator": sim_pid}, database_url)
        meter.start()
        own_before = _own_cpu_seconds()
        sent_before = _round_trips()
        started = time.perf_counter()
        summary = reconcile(engine, build_provider(settings), settings, trigger="bench", since=utcnow())
        elapsed = time.perf_counter() - started
        cpu = meter.stop() | {"reconciler": _own_cpu_seconds() - own_before}
        sent_after = _round_trips()
        statements, commits = sent_after[0] - sent_before[0], sent_after[1] - sent_before[1]
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with engine.connect() as conn:
            paid = conn.execute(sa.select(sa.func.count()).select_from(orders).where(orders.c.state == "paid")).scalar()
        engine.dispose()
    result = {
        "orders": args.orders,
        "seconds": round(elapsed, 1),
        "orders_per_second": round(args.orders / elapsed),
        "repaired_to_paid": paid,
        "peak_rss_mib": round(peak_kib / 1024),
        "rss_before_mib": round(before / 1024),
        "errors": summary.tally.errors,
        # per order repaired to paid: the open half costs a listing share and no transaction
        "statements_per_repair": round(statements / max(paid or 0, 1), 1),
        "commits_per_repair": round(commits / max(paid or 0, 1), 2),
        **{f"{name}_cpu_ms_per_order": round(seconds * 1000 / args.orders, 2) for name, seconds in cpu.items()},
    }
    show("reconciliation of pending orders on PostgreSQL against the simulator", [result])
    write_results("reconcile_rate", {"reconcile": result})


if __name__ == "__main__":
    main()
