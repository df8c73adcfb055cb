"""The soak: whole customer journeys at a steady rate for a long time, watching the processes' memory.

    .venv/bin/python bench/soak.py --minutes 10 --rate 15 --worker-concurrency 8

Starts its own database, the simulator (its webhooks signed and delivered to the API), `checkout-engine serve`
and `checkout-engine worker`. Customers arrive at ``--rate`` per second (default: half the end-to-end journey
peak, ``JOURNEY_PEAK_PER_S``): each creates a cart, adds an item, sets shipping,
checks out and pays by card at the simulator; the webhook, the worker and fulfilment do the rest. Resident
memory of the API (with its workers) and of the worker is sampled every 10 s. Target: neither grows by more than
10% between the end of the first minute and the end of the run. Writes bench/results/soak.json; exits non-zero
when the target is missed or journeys failed.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa
from carts import ADDRESS
from harness import api_process, fresh_database, rss_mib, show, worker_process, write_results
from provider_sim_rate import simulator_process

SECRET = "whsec_soak"
SKUS = [f"SOAK-{n}" for n in range(1, 21)]
ADMIN = {"Authorization": "Bearer bench-admin-key"}
SAMPLE_SECONDS = 10
GROWTH_LIMIT = 0.10
# Whole journeys per second this 2-core machine completes end to end (checkout, payment, three webhooks, five
# jobs) with `worker --concurrency 8`: 1-minute runs kept up at 25/s and fell behind at 40/s (31/s fulfilled).
# A journey costs far more than a checkout alone, so half the checkout peak would be an overload, not a soak.
JOURNEY_PEAK_PER_S = 30


def seed(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        puts: list[tuple[str, dict[str, object]]] = [
            ("shipping-methods/std", {"name": "Standard", "prices": {"EUR": 495}, "countries": ["DE"]}),
            ("tax-rates/DE", {"standard": 1900, "reduced": 700}),
        ]
        for sku in SKUS:
            product = {"name": sku, "kind": "physical", "prices": {"EUR": 1500}, "tax_class": "standard"}
            puts += [(f"products/{sku}", product), (f"inventory/{sku}", {"on_hand": 10_000_000, "reason": "soak"})]
        for path, body in puts:
            http.put(f"/admin/v1/{path}", json=body, headers=ADMIN).raise_for_status()


class Journeys:
    def __init__(self, api_url: str, sim_url: str) -> None:
        self._api = api_url
        self._sim = sim_url
        self._local = threading.local()
        self.lock = threading.Lock()
        self.done = 0
        self.failed = 0

    def _clients(self) -> tuple[httpx.Client, httpx.Client]:
        if not hasattr(self._local, "api"):
            self._local.api = httpx.Client(base_url=self._api, timeout=60)
            self._local.sim = httpx.Client(
                base_url=self._sim, timeout=60, headers={"Authorization": "Bearer sk_test_bench"}
            )
        return self._local.api, self._local.sim

    def one(self, number: int) -> None:
        api, sim = self._clients()
        try:
            cart_id = api.post("/v1/carts", json={"currency": "EUR", "country": "DE"}).raise_for_status().json()["id"]
            api.put(f"/v1/carts/{cart_id}/items/{SKUS[number % len(SKUS)]}", json={"quantity": 1}).raise_for_status()
            api.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "std"}).raise_for_status()
            order = api.post(f"/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": cart_id}, json={})
            intent = order.raise_for_status().json()["payment"]["provider_payment_id"]
            paid = sim.post(f"/v1/payment_intents/{intent}/confirm", data={"payment_method": "pm_card_visa"})
            paid.raise_for_status()
        except (httpx.HTTPError, KeyError, ValueError):
            with self.lock:
                self.failed += 1
            return
        with self.lock:
            self.done += 1


def outcome(database_url: str) -> tuple[dict[str, int], int]:
    """Orders by state, and jobs still queued: whether webhooks and workers kept up with the arrivals."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT state, count(*) FROM orders GROUP BY state")).tuples()
        states: dict[str, int] = {state: count for state, count in rows}
        queued: int = conn.execute(sa.text("SELECT count(*) FROM jobs WHERE status = 'queued'")).scalar_one()
    engine.dispose()
    return states, queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=None, help="journeys per second")
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=8, help="`worker --concurrency`")
    args = parser.parse_args()
    rate = args.rate or JOURNEY_PEAK_PER_S / 2
    seconds = args.minutes * 60
    samples: list[dict[str, float]] = []
    with (
        fresh_database() as database_url,
        simulator_process() as (sim_url, _),
        api_process(database_url, sim_url, workers=args.api_workers, CHECKOUT_STRIPE_WEBHOOK_SECRET=SECRET) as served,
        worker_process(
            database_url, sim_url, concurrency=args.worker_concurrency, CHECKOUT_SWEEP_INTERVAL_SECONDS="5"
        ) as worker_pid,
    ):
        # Many deliveries in flight at once, as Stripe sends them: one at a time would be the bottleneck.
        webhooks = {"url": f"{served.url}/webhooks/stripe", "secret": SECRET, "concurrency": 16}
        httpx.put(f"{sim_url}/_sim/webhooks", json=webhooks, timeout=10).raise_for_status()
        seed(served.url)
        journeys = Journeys(served.url, sim_url)
        began = time.perf_counter()
        next_sample = began
        with ThreadPoolExecutor(64) as pool:
            number = 0
            while (now := time.perf_counter()) - began < seconds:
                due = int((now - began) * rate)
                while number < due:  # open loop: arrivals keep their pace whatever the latency
                    pool.submit(journeys.one, number)
                    number += 1
                if now >= next_sample:
                    samples.append(
                        {"at_s": round(now - began), "api_mib": rss_mib(served.pid), "worker_mib": rss_mib(worker_pid)}
                    )
                    next_sample += SAMPLE_SECONDS
                time.sleep(0.01)  # pacing of the arrival clock, not synchronisation
        elapsed = time.perf_counter() - began
        samples.append({"at_s": round(elapsed), "api_mib": rss_mib(served.pid), "worker_mib": rss_mib(worker_pid)})
        states, backlog = outcome(database_url)
    after_first_minute = next(sample for sample in samples if sample["at_s"] >= min(60, seconds / 2))
    last = samples[-1]
    growth = {name: round(last[name] / after_first_minute[name] - 1, 3) for name in ("api_mib", "worker_mib")}
    row = {
        "minutes": args.minutes,
        "rate_per_s": rate,
        "journeys": journeys.done,
        "failed": journeys.failed,
        "fulfilled_orders": states.get("fulfilled", 0),
        "jobs_queued_at_end": backlog,
        "api_mib_at_1min": after_first_minute["api_mib"],
        "api_mib_end": last["api_mib"],
        "api_growth": growth["api_mib"],
        "worker_mib_at_1min": after_first_minute["worker_mib"],
        "worker_mib_end": last["worker_mib"],
        "worker_growth": growth["worker_mib"],
    }
    passed = journeys.failed == 0 and all(value <= GROWTH_LIMIT for value in growth.values())
    row["passed"] = passed
    show(f"soak: {args.minutes:g} minutes at {rate:g} journeys/s", [row])
    write_results("soak", {"soak": row, "orders_by_state": states, "samples": samples})
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
