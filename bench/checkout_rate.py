"""End-to-end checkouts per second over HTTP on PostgreSQL, at several concurrency levels.

    .venv/bin/python bench/checkout_rate.py --levels 1 16 --checkouts 200

Starts its own database (cloned fresh, dropped afterwards), the provider simulator and `checkout-engine serve`
as separate processes, prepares one ready cart per checkout (not timed), then times `POST /v1/carts/{id}/checkout`
calls (each creating the provider intent at the simulator) from N concurrent clients. Prints a table and writes
JSON to bench/results/checkout_rate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
from provider_sim_rate import _free_port, simulator_process
from rich.console import Console
from rich.table import Table

from checkout_engine.db import migrate
from checkout_engine.db.engine import make_engine

ADMIN_URL = os.environ.get("CHECKOUT_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ADMIN_KEY = "bench-admin-key"
RESULTS = Path(__file__).resolve().parent / "results"
ADDRESS = {"name": "Bench", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"ce_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=1)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def api_process(database_url: str, sim_url: str, **extra_env: str) -> Iterator[str]:
    """`checkout-engine serve` as its own process on the bench database, ready when /readyz says so."""
    port = _free_port()
    env = {
        **os.environ,
        "CHECKOUT_DATABASE_URL": database_url,
        "CHECKOUT_STRIPE_API_BASE": sim_url,
        "CHECKOUT_STRIPE_SECRET_KEY": "sk_test_bench",
        "CHECKOUT_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        **extra_env,
    }
    command = [sys.executable, "-m", "checkout_engine.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("checkout-engine serve did not become ready")
        time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def seed(http: httpx.Client, stock: int) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for path, body in [
        (
            "products/BENCH-1",
            {"name": "Bench item", "kind": "physical", "prices": {"EUR": 2500}, "tax_class": "standard"},
        ),
        ("inventory/BENCH-1", {"on_hand": stock, "reason": "bench"}),
        ("shipping-methods/std", {"name": "Standard", "prices": {"EUR": 495}, "countries": ["DE"]}),
        ("tax-rates/DE", {"standard": 1900, "reduced": 700}),
    ]:
        http.put(f"/admin/v1/{path}", json=body, headers=admin).raise_for_status()


def ready_cart(http: httpx.Client) -> str:
    cart_id: str = http.post("/v1/carts", json={"currency": "EUR", "country": "DE"}).json()["id"]
    http.put(f"/v1/carts/{cart_id}/items/BENCH-1", json={"quantity": 1}).raise_for_status()
    http.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "std"}).raise_for_status()
    return cart_id


def run_level(url: str, carts: list[str], concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0

    def one(cart_id: str) -> None:
        nonlocal failures
        started = time.perf_counter()
        response = httpx.post(
            f"{url}/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": cart_id}, json={}, timeout=60
        )
        latencies.append(time.perf_counter() - started)
        failures += response.status_code != 201

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, carts))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "checkouts": len(carts),
        "failures": failures,
        "per_second": round(len(carts) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--checkouts", type=int, default=200, help="checkouts per level")
    args = parser.parse_args()
    results = []
    with (
        fresh_database() as database_url,
        simulator_process() as (sim_url, _),
        api_process(database_url, sim_url) as url,
    ):
        with httpx.Client(base_url=url, timeout=30) as http:
            seed(http, stock=len(args.levels) * args.checkouts)
            with ThreadPoolExecutor(8) as pool:
                carts = list(
                    pool.map(
                        lambda _: ready_cart(httpx.Client(base_url=url, timeout=30)),
                        range(len(args.levels) * args.checkouts),
                    )
                )
        for number, level in enumerate(args.levels):
            results.append(run_level(url, carts[number * args.checkouts : (number + 1) * args.checkouts], level))
    table = Table(title="checkouts over HTTP on PostgreSQL (provider intent at the simulator included)")
    for column in ("concurrency", "checkouts", "failures", "per_second", "p50_ms", "p99_ms"):
        table.add_column(column, justify="right")
    for row in results:
        table.add_row(*(str(row[column]) for column in row))
    Console().print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "checkout_rate.json").write_text(json.dumps({"checkout": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
