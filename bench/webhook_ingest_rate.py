"""Signed webhook deliveries accepted per second on PostgreSQL (verify, store, dedupe, enqueue; no processing),
beside pgbench running the same writes.

    .venv/bin/python bench/webhook_ingest_rate.py --levels 16 --seconds 12 --api-workers 2

Starts its own database and `checkout-engine serve`, then posts distinct signed events from N connections for a
fixed time (wrk replays them: bench/load.py), with the API's CPU milliseconds per delivery and the engine's
statements and commits per delivery. pgbench then runs one ingest's writes (the upsert on the event id and the
outbox job) as one transaction at the same concurrency, and the ratio engine / pgbench is printed. JSON goes to
bench/results/webhook_ingest_rate.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

from harness import CpuMeter, RoundTrips, api_process, fresh_database, pgbench, show, write_results
from load import Prepared, replay

from checkout_engine.webhooks.signature import signature_header

SECRET = "whsec_bench"
NO_PROVIDER = "http://127.0.0.1:9"  # ingestion never calls the provider

PGBENCH_INGEST = """
BEGIN;
SELECT 'evt_' || gen_random_uuid()::text AS evt \\gset
INSERT INTO webhook_events (provider, event_id, type, object_id, payload, received_at, last_received_at,
  delivery_count, status)
  VALUES ('stripe', :evt, 'payment_intent.succeeded', 'pi_bench',
  '{"id": "pi_bench", "object": "payment_intent", "status": "succeeded", "amount": 2500, "currency": "eur"}',
  now(), now(), 1, 'received')
  ON CONFLICT (provider, event_id) DO UPDATE SET delivery_count = webhook_events.delivery_count + 1,
  last_received_at = excluded.last_received_at
  RETURNING id \\gset
INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, dedupe_key, created_at, updated_at)
  VALUES ('process_webhook', '{}', 'queued', 0, 10, now(), 'process_webhook:' || :id, now(), now())
  ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING;
END;
"""


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


def signed_deliveries(numbers: itertools.count[int], count: int) -> list[Prepared]:
    """Distinct events, signed now (well within the signature tolerance of the level about to run)."""
    now = int(time.time())
    deliveries = []
    for number in itertools.islice(numbers, count):
        body = event(number)
        signature = signature_header(body, secret=SECRET, timestamp=now)
        deliveries.append(Prepared("POST", "/webhooks/stripe", body.decode(), {"Stripe-Signature": signature}))
    return deliveries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[16])
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--deliveries", type=int, default=40_000, help="signed events prepared per level")
    parser.add_argument("--api-workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    numbers = itertools.count()
    with (
        fresh_database() as database_url,
        api_process(
            database_url, NO_PROVIDER, workers=args.api_workers, CHECKOUT_STRIPE_WEBHOOK_SECRET=SECRET
        ) as served,
    ):
        for concurrency in args.levels:
            meter = CpuMeter({"api": served.pid}, database_url)
            trips = RoundTrips(served.url)
            meter.start()
            trips.start()
            load = replay(
                served.url,
                signed_deliveries(numbers, args.deliveries),
                connections=concurrency,
                seconds=args.seconds,
            )
            cpu = meter.stop()
            done = load.requests
            row: dict[str, object] = {
                "concurrency": concurrency,
                "deliveries": done,
                "failures": load.failures,
                "per_second": load.per_second,
                "p50_ms": load.p50_ms,
                "p99_ms": load.p99_ms,
                **{f"cpu_ms_{name}": round(used * 1000 / max(done, 1), 2) for name, used in cpu.items()},
                **trips.stop(done),
            }
            database = pgbench(database_url, PGBENCH_INGEST, clients=concurrency, seconds=args.seconds)
            row["pgbench_per_second"] = database["per_second"]
            row["ratio_to_pgbench"] = round(load.per_second / database["per_second"], 3)
            rows.append(row)
    show("signed webhook deliveries accepted on PostgreSQL vs pgbench", rows)
    write_results("webhook_ingest_rate", {"api_workers": args.api_workers, "webhook_ingest": rows})


if __name__ == "__main__":
    main()
