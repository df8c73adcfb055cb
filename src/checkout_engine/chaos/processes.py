"""The supervisor: the simulator, two API processes and three worker processes, each a real OS process that can
be SIGKILLed and started again in its place (same port, same settings), as a crashed pod is rescheduled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from checkout_engine.chaos.config import SETTLE_DELAY_MS, Secrets

READY_TIMEOUT_SECONDS = 60.0  # six Python processes starting at once on a loaded 2-core machine
POLL_SECONDS = 0.1
STOP_TIMEOUT_SECONDS = 15.0
WORKER_CONCURRENCY = 2
WORKER_READY_LINE = b"worker running"


class ProcessFailed(RuntimeError):
    """A process did not come up (or died while coming up); the message carries its log's tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True, slots=True)
class Readiness:
    """How to tell a process is ready: a URL answering 200, or a line in its output (workers have no port)."""

    url: str | None = None
    line: bytes | None = None


class ManagedProcess:
    """One role (``api-0``, ``worker-2``, ``sim``): started, killed and started again under the same name."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_dir: Path, ready: Readiness) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.ready = ready
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1

    def new_output(self) -> bytes:
        """What this incarnation has written so far (the log is shared by every restart)."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read()

    def is_ready(self) -> bool:
        if self.ready.url is not None and not _answers(self.ready.url):
            return False
        return self.ready.line is None or self.ready.line in self.new_output()

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if not self.alive():
                raise ProcessFailed(f"{self.name} exited while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ProcessFailed(f"{self.name} not ready within {timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(POLL_SECONDS)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no finished requests, exactly like a crash."""
        if self._process is not None and self.alive():
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it does not go in time."""
        if self._process is None or not self.alive():
            return
        self._process.terminate()
        try:
            self._process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True, slots=True)
class Kill:
    process: str
    at: float  # seconds since the supervisor started the fleet
    downtime: float


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


class Supervisor:
    """Owns every process of the run. ``bounce`` kills one and restarts it in the background, so the schedule
    of faults is never held up by a slow start."""

    def __init__(self, *, log_dir: Path, keys: Secrets, api_count: int = 2, worker_count: int = 3) -> None:
        self.log_dir = log_dir
        self.keys = keys
        self.sim_port = free_port()
        self.api_ports = [free_port() for _ in range(api_count)]
        self.worker_count = worker_count
        self.sim = self._simulator()
        self.apis: list[ManagedProcess] = []
        self.workers: list[ManagedProcess] = []
        self.kills: list[Kill] = []
        self._started_at = time.monotonic()
        self._lock = threading.Lock()
        self._down: set[str] = set()
        self._restarts: list[threading.Thread] = []
        self.restart_failures: list[str] = []

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def api_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.api_ports]

    def webhook_url(self, api: int) -> str:
        return f"{self.api_urls[api]}/webhooks/stripe"

    def _simulator(self) -> ManagedProcess:
        command = _python("provider_sim", "--host", "127.0.0.1", "--port", str(self.sim_port))
        command += ["--webhook-url", self.webhook_url(0), "--webhook-secret", self.keys.webhook_secret]
        command += ["--settle-delay-ms", str(SETTLE_DELAY_MS)]
        env = {name: value for name, value in os.environ.items() if not name.startswith("PROVIDER_SIM_")}
        return ManagedProcess(
            "sim", command, env=env, log_dir=self.log_dir, ready=Readiness(f"{self.sim_url}/_sim/health")
        )

    def start_simulator(self) -> None:
        self.sim.start()
        self.sim.wait_ready()

    def start_engine(self, environment: dict[str, str]) -> None:
        """The API and worker processes, all starting at once, each waited for."""
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("CHECKOUT_")}, **environment}
        for index, (port, url) in enumerate(zip(self.api_ports, self.api_urls, strict=True)):
            # One process each: a SIGKILL must take the whole API down, which a supervisor's children would survive.
            command = _python("checkout_engine.cli", "serve", "--port", str(port), "--workers", "1")
            ready = Readiness(url=f"{url}/readyz")
            self.apis.append(ManagedProcess(f"api-{index}", command, env=env, log_dir=self.log_dir, ready=ready))
        for index in range(self.worker_count):
            command = _python("checkout_engine.cli", "worker", "--concurrency", str(WORKER_CONCURRENCY))
            ready = Readiness(line=WORKER_READY_LINE)
            self.workers.append(ManagedProcess(f"worker-{index}", command, env=env, log_dir=self.log_dir, ready=ready))
        for process in self.engine_processes():
            process.start()
        for process in self.engine_processes():
            process.wait_ready()
        self._started_at = time.monotonic()

    def engine_processes(self) -> list[ManagedProcess]:
        return [*self.apis, *self.workers]

    def up(self, role: str) -> list[ManagedProcess]:
        """The processes of ``role`` ("api" or "worker") that are running and not being bounced."""
        group = self.apis if role == "api" else self.workers
        with self._lock:
            return [process for process in group if process.name not in self._down and process.alive()]

    def bounce(self, process: ManagedProcess, *, downtime: float) -> None:
        with self._lock:
            if process.name in self._down:
                return
            self._down.add(process.name)
        process.kill()
        self.kills.append(Kill(process.name, round(time.monotonic() - self._started_at, 1), downtime))
        thread = threading.Thread(target=self._restart, args=(process, downtime), name=f"restart-{process.name}")
        self._restarts.append(thread)
        thread.start()

    def _restart(self, process: ManagedProcess, downtime: float) -> None:
        time.sleep(downtime)  # the outage itself: a crashed process is not back at once
        try:
            process.start()
            process.wait_ready()
        except ProcessFailed as failure:
            self.restart_failures.append(str(failure))
        finally:
            with self._lock:
                self._down.discard(process.name)

    def settle(self) -> None:
        """Wait for every restart in flight, then make sure every role runs (one that failed is started again)."""
        for thread in self._restarts:
            thread.join(READY_TIMEOUT_SECONDS + 30)
        for process in self.engine_processes():
            if not process.alive():
                process.start()
                process.wait_ready()

    def stop_engine(self) -> None:
        for process in self.engine_processes():
            process.stop()

    def stop_all(self) -> None:
        self.stop_engine()
        self.sim.stop()
