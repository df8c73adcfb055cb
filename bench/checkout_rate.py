"""End-to-end checkouts per second over HTTP on PostgreSQL, beside pgbench running the same writes.

    .venv/bin/python bench/checkout_rate.py --levels 1 16 64 --seconds 12

Starts its own database (dropped afterwards), the provider simulator, `checkout-engine serve` (with its default
number of processes, one per core) and one `checkout-engine worker` as separate processes, as a shop deploys them:
the simulator sends its webhooks to the API as Stripe does, and the worker processes them. It prepares ready carts
(not timed), then for each concurrency level posts
`POST /v1/carts/{id}/checkout` (each creating the provider intent at the simulator) from N connections for a
fixed time (wrk sends them: bench/load.py). Alongside: CPU milliseconds per checkout spent by the API, the
worker, the simulator and PostgreSQL (the webhooks' ingest and processing included), and the SQL statements
and commits per checkout from the engine's own counters. Then
pgbench runs the checkout's writes (the cart's idempotency key, guarded stock decrement, order, pricing snapshot
with its lines, state event, reservation, payment attempt, outbox job, stored answer) as one transaction at the
same concurrency, and the ratio engine / pgbench is printed. JSON goes to bench/results/checkout_rate.json.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from carts import ready_carts
from harness import (
    ADMIN_KEY,
    CpuMeter,
    RoundTrips,
    Served,
    api_process,
    fresh_database,
    pgbench,
    show,
    worker_process,
    write_results,
)
from load import Prepared, replay
from provider_sim_rate import simulator_process

SECRET = "whsec_bench"

SKUS = [f"BENCH-{n}" for n in range(1, 51)]  # buyers spread over a catalog; bench/hot_sku.py is the one-SKU case

PGBENCH_CHECKOUT = """
\\set s random(1, 50)
BEGIN;
SELECT gen_random_uuid()::text AS cart, gen_random_uuid()::text AS ord, gen_random_uuid()::text AS att \\gset
INSERT INTO carts (id, currency, status, version, created_at, updated_at)
  VALUES (:cart, 'EUR', 'frozen', 1, now(), now());
INSERT INTO idempotency_keys (scope, key, request_method, request_path, request_hash, request_params, recovery_point,
  recovery_data, lock_token, locked_at, created_at, last_run_at)
  VALUES (:cart, :cart, 'POST', '/v1/carts/x/checkout', 'hash', '{}', 'started', '{}', 'lock', now(), now(), now());
UPDATE inventory SET reserved = reserved + 1, updated_at = now() WHERE sku = 'BENCH-' || :s AND on_hand - reserved >= 1;
INSERT INTO orders (id, cart_id, state, version, needs_review, currency, total, token_hash, expires_at, created_at,
  updated_at) VALUES (:ord, :cart, 'payment_pending', 2, false, 'EUR', 3470, 'hash', now() + interval '15 minutes',
  now(), now());
INSERT INTO pricing_snapshots (order_id, currency, total, payload, hash, created_at) VALUES (:ord, 'EUR', 3470,
  '{"lines": [{"sku": "BENCH-1", "quantity": 1, "unit_price": 2500, "total": 2975}], "total": 3470}', 'hash', now());
INSERT INTO order_events (order_id, kind, from_state, to_state, reason, actor, at)
  VALUES (:ord, 'transition', 'draft', 'payment_pending', 'payment_intent_created', 'checkout', now());
INSERT INTO inventory_reservations (order_id, sku, quantity, status, expires_at, created_at)
  VALUES (:ord, 'BENCH-' || :s, 1, 'active', now() + interval '15 minutes', now());
INSERT INTO payment_attempts (id, order_id, provider, provider_payment_id, amount, currency, amount_received, status,
  idempotency_key, metadata_hash, client_secret, created_at, updated_at)
  VALUES (:att, :ord, 'stripe', :att, 3470, 'EUR', 0, 'requires_payment_method', :att, 'hash', 'secret', now(), now());
INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
  VALUES ('expire_order', '{}', 'queued', 0, 10, now() + interval '15 minutes', now(), now());
UPDATE idempotency_keys SET recovery_point = 'finished', response_status = 201, response_body = '{}'
  WHERE scope = :cart AND key = :cart;
END;
"""


def seed(http: httpx.Client, stock: int) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    puts: list[tuple[str, dict[str, object]]] = [
        ("shipping-methods/std", {"name": "Standard", "prices": {"EUR": 495}, "countries": ["DE"]}),
        ("tax-rates/DE", {"standard": 1900, "reduced": 700}),
    ]
    for sku in SKUS:
        puts.append(
            (f"products/{sku}", {"name": sku, "kind": "physical", "prices": {"EUR": 2500}, "tax_class": "standard"})
        )
        puts.append((f"inventory/{sku}", {"on_hand": stock, "reason": "bench"}))
    for path, body in puts:
        http.put(f"/admin/v1/{path}", json=body, headers=admin).raise_for_status()


def checkouts(carts: list[str]) -> list[Prepared]:
    """One checkout per cart, each with its own key: every request creates an order (none is a replay)."""
    return [Prepared("POST", f"/v1/carts/{cart}/checkout", "{}", {"Idempotency-Key": cart}) for cart in carts]


@contextmanager
def engine_under_test(api_workers: int | None, *, webhooks: bool) -> Iterator[tuple[str, Served, dict[str, int]]]:
    """The processes under test, by name and pid."""
    with (
        fresh_database() as database_url,
        simulator_process() as (sim_url, sim_pid),
        api_process(database_url, sim_url, workers=api_workers, CHECKOUT_STRIPE_WEBHOOK_SECRET=SECRET) as served,
        worker_process(database_url, sim_url, concurrency=1, CHECKOUT_STRIPE_WEBHOOK_SECRET=SECRET) as worker_pid,
    ):
        # Many deliveries in flight at once, as Stripe sends them.
        delivery = {"url": f"{served.url}/webhooks/stripe", "secret": SECRET, "concurrency": 16, "paused": not webhooks}
        httpx.put(f"{sim_url}/_sim/webhooks", json=delivery, timeout=10).raise_for_status()
        yield database_url, served, {"api": served.pid, "worker": worker_pid, "simulator": sim_pid}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--seconds", type=int, default=12, help="timed seconds per level")
    parser.add_argument("--carts", type=int, default=4000, help="ready carts prepared per level, before timing")
    parser.add_argument("--api-workers", type=int, default=None, help="`serve --workers` [serve's default]")
    parser.add_argument(
        "--no-webhooks", action="store_true", help="the simulator sends no webhooks (the checkout request alone)"
    )
    args = parser.parse_args()
    rows = []
    with engine_under_test(args.api_workers, webhooks=not args.no_webhooks) as (database_url, served, pids):
        with httpx.Client(base_url=served.url, timeout=30) as http:
            seed(http, stock=args.carts * len(args.levels))
        supply = ready_carts(served.url, args.carts * len(args.levels), sku_of=lambda n: SKUS[n % len(SKUS)])
        for number, concurrency in enumerate(args.levels):
            carts = supply[number * args.carts : (number + 1) * args.carts]
            meter = CpuMeter(pids, database_url)
            trips = RoundTrips(served.url)
            meter.start()
            trips.start()
            load = replay(served.url, checkouts(carts), connections=concurrency, seconds=args.seconds)
            cpu = meter.stop()
            done = load.requests
            row: dict[str, object] = {
                "concurrency": concurrency,
                "checkouts": done,
                "failures": load.failures,
                "per_second": load.per_second,
                "p50_ms": load.p50_ms,
                "p99_ms": load.p99_ms,
                **{f"cpu_ms_{name}": round(seconds * 1000 / max(done, 1), 2) for name, seconds in cpu.items()},
                **trips.stop(done),
            }
            database = pgbench(database_url, PGBENCH_CHECKOUT, clients=concurrency, seconds=args.seconds)
            row["pgbench_per_second"] = database["per_second"]
            row["ratio_to_pgbench"] = round(load.per_second / database["per_second"], 3)
            rows.append(row)
    show("checkouts over HTTP on PostgreSQL (provider intent at the simulator included) vs pgbench", rows)
    configuration = {"api_workers": args.api_workers or "default", "webhooks": not args.no_webhooks}
    write_results("checkout_rate", {**configuration, "checkout": rows})


if __name__ == "__main__":
    main()
