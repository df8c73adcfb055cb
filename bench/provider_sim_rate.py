"""Throughput of the provider simulator: N concurrent clients creating and retrieving PaymentIntents.

    .venv/bin/python bench/provider_sim_rate.py --clients 16 --processes 2 --seconds 10

Starts its own simulator process (or uses --url), drives it from client processes (asyncio + httpx) for a
bounded time and prints requests per second, p50/p99 latency and, when it started the simulator itself,
the simulator's CPU time per request. Clients and simulator share the machine's cores, so on a small
machine the clients' own cost caps the figure; the CPU time per request shows the simulator's capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"
HEADERS = {"Authorization": "Bearer sk_test_bench"}


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, where /proc exposes it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/_sim/health", trust_env=False, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start") from None
        time.sleep(0.02)


@contextmanager
def simulator_process(startup_timeout: float = 20.0) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "provider_sim", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, startup_timeout)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(10)


async def _timed(tally: Tally, request: Awaitable[httpx.Response]) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await request
    except httpx.HTTPError:
        tally.errors += 1
        return None
    tally.latencies.append(time.perf_counter() - started)
    if response.status_code != 200:
        tally.errors += 1
        return None
    return response


async def _client_loop(client: httpx.AsyncClient, deadline: float, tally: Tally, number: int) -> None:
    sequence = 0
    while time.monotonic() < deadline:
        sequence += 1
        data = {"amount": "1000", "currency": "eur", "metadata[order_id]": f"bench-{number}-{sequence}"}
        created = await _timed(tally, client.post("/v1/payment_intents", data=data))
        if created is not None:
            await _timed(tally, client.get(f"/v1/payment_intents/{created.json()['id']}"))


async def drive(url: str, clients: int, seconds: float, first_client: int) -> Tally:
    tally = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits, trust_env=False) as client:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client_loop(client, deadline, tally, first_client + n) for n in range(clients)))
    return tally


def drive_from_this_process(url: str, clients: int, seconds: float, first_client: int) -> Tally:
    return asyncio.run(drive(url, clients, seconds, first_client))


def drive_from_processes(url: str, clients: int, processes: int, seconds: float) -> tuple[Tally, float]:
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    starts = [sum(shares[:n]) for n in range(processes)]
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        parts = list(pool.map(drive_from_this_process, [url] * processes, shares, [seconds] * processes, starts))
    elapsed = time.monotonic() - started
    return Tally([t for part in parts for t in part.latencies], sum(part.errors for part in parts)), elapsed


def report(tally: Tally, elapsed: float, clients: int, server_cpu: float | None) -> str:
    done = len(tally.latencies)
    if done < 2:
        return f"only {done} requests completed, {tally.errors} errors"
    cuts = statistics.quantiles(tally.latencies, n=100)
    line = (
        f"{clients} clients, {elapsed:.1f} s: {done} requests, {done / elapsed:.0f} req/s, "
        f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms, errors {tally.errors}"
    )
    if server_cpu:
        line += f"; simulator CPU {server_cpu * 1000 / done:.2f} ms/request (~{done / server_cpu:.0f} req/s/core)"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2, help="client processes sharing the clients")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--url", help="an already running simulator; otherwise one is started")
    args = parser.parse_args()
    processes = max(1, min(args.processes, args.clients))
    if args.url:
        tally, elapsed = drive_from_processes(args.url, args.clients, processes, args.seconds)
        print(report(tally, elapsed, args.clients, None))
        return
    with simulator_process() as (url, pid):
        before = cpu_seconds(pid)
        tally, elapsed = drive_from_processes(url, args.clients, processes, args.seconds)
        after = cpu_seconds(pid)
    server_cpu = after - before if before is not None and after is not None else None
    print(report(tally, elapsed, args.clients, server_cpu))


if __name__ == "__main__":
    main()
