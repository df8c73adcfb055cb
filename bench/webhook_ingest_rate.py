"""Signed webhook deliveries accepted per second on PostgreSQL (verify, store, dedupe, enqueue; no processing).

    .venv/bin/python bench/webhook_ingest_rate.py --deliveries 2000 --concurrency 16

Starts its own database and `checkout-engine serve`, then posts distinct signed events from N concurrent clients.
Prints a table and writes JSON to bench/results/webhook_ingest_rate.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from checkout_rate import RESULTS, api_process, fresh_database
from rich.console import Console
from rich.table import Table

from checkout_engine.webhooks.signature import signature_header

SECRET = "whsec_bench"
NO_PROVIDER = "http://127.0.0.1:9"  # ingestion never calls the provider


def event(number: int) -> bytes:
    return json.dumps(
        {
            "id": f"evt_bench_{number}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": f"pi_bench_{number}",
                    "object": "payment_intent",
                    "status": "succeeded",
                    "amount": 2500,
                    "currency": "eur",
                    "metadata": {},
                }
            },
        }
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    bodies = [event(n) for n in range(args.deliveries)]
    latencies: list[float] = []
    failures = 0
    with (
        fresh_database() as database_url,
        api_process(database_url, NO_PROVIDER, CHECKOUT_STRIPE_WEBHOOK_SECRET=SECRET) as url,
    ):
        clients = [httpx.Client(base_url=url, timeout=30) for _ in range(args.concurrency)]

        def deliver(number: int) -> None:
            nonlocal failures
            body = bodies[number]
            header = signature_header(body, secret=SECRET, timestamp=int(time.time()))
            started = time.perf_counter()
            response = clients[number % args.concurrency].post(
                "/webhooks/stripe", content=body, headers={"Stripe-Signature": header}
            )
            latencies.append(time.perf_counter() - started)
            failures += response.status_code != 200

        began = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(deliver, range(args.deliveries)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    result = {
        "concurrency": args.concurrency,
        "deliveries": args.deliveries,
        "failures": failures,
        "per_second": round(args.deliveries / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
    }
    table = Table(title="signed webhook deliveries accepted on PostgreSQL")
    for column in result:
        table.add_column(column, justify="right")
    table.add_row(*(str(value) for value in result.values()))
    Console().print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "webhook_ingest_rate.json").write_text(json.dumps({"webhook_ingest": result}, indent=2) + "\n")


if __name__ == "__main__":
    main()
