"""What every benchmark shares: a fresh database, the engine and simulator as their own processes, CPU and
round-trip accounting, pgbench for the database's own figure, and the results table and JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from provider_sim_rate import _free_port, cpu_seconds
from rich.console import Console
from rich.table import Table

from checkout_engine.db import migrate
from checkout_engine.db.engine import make_engine

ADMIN_URL = os.environ.get("CHECKOUT_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ADMIN_KEY = "bench-admin-key"
RESULTS = Path(__file__).resolve().parent / "results"
CORES = os.cpu_count() or 1


@contextmanager
def fresh_database() -> Iterator[str]:
    """A migrated database of the benchmark's own, dropped afterwards."""
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


def _wait_ready(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"{what} did not become ready")
        time.sleep(0.1)


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@contextmanager
def api_process(database_url: str, sim_url: str, *, workers: int | None = 1, **extra_env: str) -> Iterator[Served]:
    """`checkout-engine serve --workers N` as its own process on the bench database, ready when /readyz says so
    (``workers=None``: serve's own default, one process per core)."""
    port = _free_port()
    metrics_dir = tempfile.mkdtemp(prefix="ce-bench-metrics-")
    env = {
        **os.environ,
        "CHECKOUT_DATABASE_URL": database_url,
        "CHECKOUT_STRIPE_API_BASE": sim_url,
        "CHECKOUT_STRIPE_SECRET_KEY": "sk_test_bench",
        "CHECKOUT_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,  # /metrics sums every API process's counters
        **extra_env,
    }
    command = [sys.executable, "-m", "checkout_engine.cli", "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url, process, "checkout-engine serve")
    try:
        yield Served(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's workers are children of the serving process)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(member) or 0.0 for member in process_tree(pid))


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants, in MiB."""
    total = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return round(total / 1024, 1)


def database_backends(database_url: str) -> dict[int, float]:
    """CPU seconds of every PostgreSQL backend serving the bench database, by pid (from their process titles)."""
    name = sa.make_url(database_url).database or ""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {name} " in title:
            found[int(entry.name)] = cpu_seconds(int(entry.name)) or 0.0
    return found


class CpuMeter:
    """CPU seconds spent by named processes (and their children) between ``start()`` and ``stop()``; with a
    database URL also by its PostgreSQL backends (a backend that ends within the window is not counted)."""

    def __init__(self, pids: dict[str, int], database_url: str | None = None) -> None:
        self._pids = pids
        self._database_url = database_url
        self._before: dict[str, float] = {}
        self._backends: dict[int, float] = {}

    def start(self) -> None:
        self._before = {name: tree_cpu_seconds(pid) for name, pid in self._pids.items()}
        if self._database_url is not None:
            self._backends = database_backends(self._database_url)

    def stop(self) -> dict[str, float]:
        used = {name: tree_cpu_seconds(pid) - self._before[name] for name, pid in self._pids.items()}
        if self._database_url is not None:
            after = database_backends(self._database_url)
            used["postgres"] = sum(seconds - self._backends.get(pid, 0.0) for pid, seconds in after.items())
        return used


def counter(url: str, name: str) -> float:
    """One counter's value from the engine's /metrics (summed over label sets)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class RoundTrips:
    """SQL statements and commits the engine sent between ``start()`` and ``stop()``, from its own counters."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._before = (0.0, 0.0)

    def _read(self) -> tuple[float, float]:
        return counter(self._url, "checkout_db_statements_total"), counter(self._url, "checkout_db_commits_total")

    def start(self) -> None:
        self._before = self._read()

    def stop(self, operations: int) -> dict[str, float]:
        statements, commits = self._read()
        return {
            "statements_per_op": round((statements - self._before[0]) / operations, 1),
            "commits_per_op": round((commits - self._before[1]) / operations, 2),
        }


def pgbench(database_url: str, script: str, *, clients: int, seconds: int, setup_sql: str = "") -> dict[str, float]:
    """pgbench running ``script`` (its own dialect: ``\\set`` and ``:vars``) against the bench database."""
    parsed = sa.make_url(database_url)
    if setup_sql:
        engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(setup_sql)
        engine.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    command = [
        "pgbench",
        "--no-vacuum",
        "--protocol=prepared",
        f"--client={clients}",
        f"--jobs={min(clients, CORES)}",
        f"--time={seconds}",
        f"--file={file.name}",
        f"--host={parsed.host or '127.0.0.1'}",
        f"--port={parsed.port or 5432}",
        f"--username={parsed.username or 'postgres'}",
        parsed.database or "postgres",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(file.name)
    tps = re.search(r"tps = ([\d.]+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    if tps is None:
        raise RuntimeError(f"pgbench printed no tps:\n{output}")
    return {"per_second": round(float(tps.group(1)), 1), "latency_avg_ms": float(latency.group(1)) if latency else 0.0}


def percentile(ordered: Sequence[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def latency_summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
    }


def show(title: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=title)
    columns = list(dict.fromkeys(column for row in rows for column in row))
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(str(row.get(column, "")) for column in columns))
    Console().print(table)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    stamped = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": CORES, **payload}
    path.write_text(json.dumps(stamped, indent=2) + "\n")
    return path


@contextmanager
def worker_process(database_url: str, sim_url: str, *, concurrency: int = 4, **extra_env: str) -> Iterator[int]:
    """`checkout-engine worker` as its own process; yields its pid."""
    env = {
        **os.environ,
        "CHECKOUT_DATABASE_URL": database_url,
        "CHECKOUT_STRIPE_API_BASE": sim_url,
        "CHECKOUT_STRIPE_SECRET_KEY": "sk_test_bench",
        **extra_env,
    }
    command = [sys.executable, "-m", "checkout_engine.cli", "worker", "--concurrency", str(concurrency)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)
