"""End-to-end checkouts per second over HTTP on PostgreSQL, beside pgbench running the same writes.

    .venv/bin/python bench/checkout_rate.py --levels 1 16 64 --seconds 15 --api-workers 2

Starts its own database (dropped afterwards), the provider simulator and `checkout-engine serve` as separate
processes, prepares ready carts (not timed), then for each concurrency level posts
`POST /v1/carts/{id}/checkout` (each creating the provider intent at the simulator) from N clients for a fixed
time. Alongside: CPU milliseconds per checkout spent by the API, the simulator and PostgreSQL, and the SQL
statements and commits per checkout from the engine's own counters. Then pgbench runs the checkout's writes (the
cart's idempotency key, guarded stock decrement, order, pricing snapshot with its lines, state event,
reservation, payment attempt, outbox job, stored answer) as one transaction at the same concurrency, and the
ratio engine / pgbench is printed. JSON goes to bench/results/checkout_rate.json.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from harness import (
    ADMIN_KEY,
    CpuMeter,
    RoundTrips,
    Served,
    api_process,
    fresh_database,
    latency_summary,
    pgbench,
    show,
    write_results,
)
from provider_sim_rate import simulator_process

ADDRESS = {"name": "Bench", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
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


@dataclass
class Level:
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


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


def ready_cart(http: httpx.Client, number: int) -> str:
    cart_id: str = http.post("/v1/carts", json={"currency": "EUR", "country": "DE"}).json()["id"]
    http.put(f"/v1/carts/{cart_id}/items/{SKUS[number % len(SKUS)]}", json={"quantity": 1}).raise_for_status()
    http.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "std"}).raise_for_status()
    return cart_id


class CartSupply:
    """Ready carts made ahead of time, handed out one per checkout."""

    def __init__(self, url: str, count: int) -> None:
        local = threading.local()

        def make(number: int) -> str:
            if not hasattr(local, "http"):
                local.http = httpx.Client(base_url=url, timeout=30)
            return ready_cart(local.http, number)

        with ThreadPoolExecutor(8) as pool:
            self._carts = list(pool.map(make, range(count)))
        self._lock = threading.Lock()

    def take(self) -> str | None:
        with self._lock:
            return self._carts.pop() if self._carts else None


def run_level(served: Served, supply: CartSupply, concurrency: int, seconds: float) -> tuple[Level, float, int]:
    level = Level(concurrency)
    deadline = time.perf_counter() + seconds

    def customer() -> None:
        with httpx.Client(base_url=served.url, timeout=60) as http:
            while time.perf_counter() < deadline:
                cart_id = supply.take()
                if cart_id is None:
                    return
                started = time.perf_counter()
                response = http.post(f"/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": cart_id}, json={})
                took = time.perf_counter() - started
                with level.lock:
                    level.latencies.append(took)
                    level.failures += response.status_code != 201

    began = time.perf_counter()
    threads = [threading.Thread(target=customer) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return level, time.perf_counter() - began, len(level.latencies)


@contextmanager
def engine_under_test(api_workers: int) -> Iterator[tuple[str, Served, int]]:
    with (
        fresh_database() as database_url,
        simulator_process() as (sim_url, sim_pid),
        api_process(database_url, sim_url, workers=api_workers) as served,
    ):
        yield database_url, served, sim_pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--seconds", type=float, default=15, help="timed seconds per level")
    parser.add_argument("--carts", type=int, default=6000, help="ready carts prepared before timing")
    parser.add_argument("--api-workers", type=int, default=2, help="`serve --workers`")
    args = parser.parse_args()
    rows = []
    with engine_under_test(args.api_workers) as (database_url, served, sim_pid):
        with httpx.Client(base_url=served.url, timeout=30) as http:
            seed(http, stock=args.carts)
        supply = CartSupply(served.url, args.carts)
        for concurrency in args.levels:
            meter = CpuMeter({"api": served.pid, "simulator": sim_pid}, database_url)
            trips = RoundTrips(served.url)
            meter.start()
            trips.start()
            level, elapsed, done = run_level(served, supply, concurrency, args.seconds)
            cpu = meter.stop()
            row: dict[str, object] = {
                "concurrency": concurrency,
                "checkouts": done,
                "failures": level.failures,
                "per_second": round(done / elapsed, 1),
                **latency_summary(level.latencies),
                **{f"cpu_ms_{name}": round(seconds * 1000 / max(done, 1), 2) for name, seconds in cpu.items()},
                **trips.stop(done),
            }
            database = pgbench(database_url, PGBENCH_CHECKOUT, clients=concurrency, seconds=int(args.seconds))
            row["pgbench_per_second"] = database["per_second"]
            row["ratio_to_pgbench"] = round(float(str(row["per_second"])) / database["per_second"], 3)
            rows.append(row)
    show("checkouts over HTTP on PostgreSQL (provider intent at the simulator included) vs pgbench", rows)
    write_results("checkout_rate", {"api_workers": args.api_workers, "checkout": rows})


if __name__ == "__main__":
    main()
