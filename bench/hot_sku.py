"""The hot SKU: many buyers at the same moment for a few units of one product.

    .venv/bin/python bench/hot_sku.py --buyers 1000 --units 100 --api-workers 2

Starts its own database, the simulator and `checkout-engine serve`, prepares one ready cart per buyer (not
timed), then releases every buyer's checkout at once (asyncio, one connection each). Exactly ``units`` checkouts
may hold stock; every other buyer must be refused with `insufficient_inventory`; afterwards the stock row and the
reservation rows must agree. Prints a table (with the wall time) and writes bench/results/hot_sku.json; exits
non-zero if anything was oversold or lost.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import ssl
import sys
import time
from collections import Counter

import httpx
import sqlalchemy as sa
from carts import ready_carts
from harness import ADMIN_KEY, CpuMeter, api_process, fresh_database, latency_summary, show, write_results
from provider_sim_rate import simulator_process

SKU = "HOT-1"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def seed(url: str, units: int, buyers: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for path, body in [
            ("shipping-methods/std", {"name": "Standard", "prices": {"EUR": 495}, "countries": ["DE"]}),
            ("tax-rates/DE", {"standard": 1900, "reduced": 700}),
            (f"products/{SKU}", {"name": "Hot", "kind": "physical", "prices": {"EUR": 9900}, "tax_class": "standard"}),
            (f"inventory/{SKU}", {"on_hand": buyers, "reason": "bench: room for every cart"}),
        ]:
            http.put(f"/admin/v1/{path}", json=body, headers=ADMIN).raise_for_status()


async def rush(url: str, carts: list[str]) -> tuple[list[tuple[int, str]], list[float], float, float]:
    """Every buyer's checkout, released together; (status, error code) per buyer, the wall time and this client's
    CPU seconds meanwhile. Each buyer has a client of its own, made before the gate opens (sharing one TLS
    context, unused over plain HTTP but built per client otherwise): one client's pool of 1,000 connections is
    searched on every request, which cost more CPU than the engine's answers."""
    start = asyncio.Event()
    latencies: list[float] = []
    tls = ssl.create_default_context()
    clients = [httpx.AsyncClient(base_url=url, timeout=120, verify=tls) for _ in carts]

    async def buyer(http: httpx.AsyncClient, cart_id: str) -> tuple[int, str]:
        await start.wait()
        began = time.perf_counter()
        response = await http.post(f"/v1/carts/{cart_id}/checkout", headers={"Idempotency-Key": cart_id}, json={})
        latencies.append(time.perf_counter() - began)
        code = "" if response.status_code == 201 else response.json()["error"]["code"]
        return response.status_code, code

    try:
        tasks = [asyncio.create_task(buyer(http, cart_id)) for http, cart_id in zip(clients, carts, strict=True)]
        await asyncio.sleep(0)  # every task is parked on the event before the gate opens
        began, cpu_before = time.perf_counter(), _own_cpu_seconds()
        start.set()
        outcomes = await asyncio.gather(*tasks)
        return outcomes, latencies, time.perf_counter() - began, _own_cpu_seconds() - cpu_before
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # this process alone, not the engine it started
    return usage.ru_utime + usage.ru_stime


def stock(database_url: str) -> dict[str, int]:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        on_hand, reserved = conn.execute(
            sa.text("SELECT on_hand, reserved FROM inventory WHERE sku = :sku"), {"sku": SKU}
        ).one()
        held = conn.execute(
            sa.text(
                "SELECT coalesce(sum(quantity), 0) FROM inventory_reservations WHERE sku = :sku AND status = 'active'"
            ),
            {"sku": SKU},
        ).scalar_one()
    engine.dispose()
    return {"on_hand": on_hand, "reserved": reserved, "reservation_rows_held": held}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--api-workers", type=int, default=2)
    args = parser.parse_args()
    with (
        fresh_database() as database_url,
        simulator_process() as (sim_url, sim_pid),
        api_process(database_url, sim_url, workers=args.api_workers) as served,
    ):
        seed(served.url, args.units, args.buyers)
        carts = ready_carts(served.url, args.buyers, sku_of=lambda _: SKU)
        with httpx.Client(base_url=served.url, timeout=30) as http:  # now only `units` remain for the rush
            body = {"on_hand": args.units, "reason": "bench: the drop"}
            http.put(f"/admin/v1/inventory/{SKU}", json=body, headers=ADMIN).raise_for_status()
        # CPU of each process during the rush: the load generator's own shares the two cores with the engine.
        meter = CpuMeter({"api": served.pid, "simulator": sim_pid}, database_url)
        meter.start()
        outcomes, latencies, wall, client_cpu = asyncio.run(rush(served.url, carts))
        cpu = meter.stop() | {"client": client_cpu}
        after = stock(database_url)
    tally = Counter(f"{status} {code}".strip() for status, code in outcomes)
    sold = tally.get("201", 0)
    refused = sum(1 for _, code in outcomes if code == "insufficient_inventory")
    correct = (
        sold == args.units
        and refused == args.buyers - args.units
        and after["reserved"] == after["reservation_rows_held"] == sold <= after["on_hand"]
    )
    row = {
        "buyers": args.buyers,
        "units": args.units,
        "sold": sold,
        "refused_out_of_stock": refused,
        "other_answers": args.buyers - sold - refused,
        "oversold": max(0, after["reserved"] - after["on_hand"]),
        **after,
        "wall_s": round(wall, 2),
        **latency_summary(latencies),
        **{f"cpu_s_{name}": round(seconds, 2) for name, seconds in cpu.items()},
        "correct": correct,
    }
    show("hot SKU: every buyer at once", [row])
    write_results("hot_sku", {"api_workers": args.api_workers, "hot_sku": row, "answers": dict(tally)})
    if not correct:
        sys.exit(1)


if __name__ == "__main__":
    main()
