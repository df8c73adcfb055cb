"""The product as real processes for tests: `checkout-engine serve` on a free port and `checkout-engine worker`
processes, configured through `CHECKOUT_*` variables only, each writing its output to a log file of its own.

    with Fleet(database_url=url, sim_url=sim.url, log_dir=tmp_path) as fleet:
        api = fleet.start(workers=2)          # the API and two workers, started side by side, all ready
        httpx.get(f"{api.url}/readyz")
        fleet.workers[0].kill()               # SIGKILL, as the OOM killer would
    # leaving the block sends SIGTERM to whatever still runs and checks that it stopped cleanly

    with HangingProvider() as hanging:        # a provider that takes requests and never answers
        fleet.start(CHECKOUT_STRIPE_API_BASE=hanging.url)

Tests synchronise with these processes only by polling with a deadline (`eventually`), never by sleeping.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

from support.provider_sim_process import SRC_DIR, ProviderSimProcess, free_port, wait_for

T = TypeVar("T")

ADMIN_KEY = "test-bootstrap-admin-key"
WEBHOOK_SECRET = "whsec_engine_tests"
# Two cores are shared with other test workers: what a process does "at once" may take seconds here.
SETTLE_SECONDS = 45.0
STARTUP_SECONDS = 60.0
STOP_SECONDS = 20.0
BIND_ATTEMPTS = 3

# What every process of a scenario gets unless the scenario says otherwise. Sweeps and leases are short so that
# expiry, abandoned checkouts and lost jobs are picked up within a test; scheduled reconciliation is off (it would
# fill the webhook gaps some scenarios leave on purpose) and is turned on by the scenario that is about it.
DEFAULT_SETTINGS = {
    "CHECKOUT_STRIPE_SECRET_KEY": "sk_test_engine",
    "CHECKOUT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "CHECKOUT_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
    "CHECKOUT_PROVIDER_TIMEOUT_SECONDS": "10",  # the production default: a busy machine is not a timeout
    "CHECKOUT_SWEEP_INTERVAL_SECONDS": "1",
    "CHECKOUT_JOB_LEASE_SECONDS": "10",
    "CHECKOUT_RECONCILE_INTERVAL_SECONDS": "3600",
}


def eventually(condition: Callable[[], T | None], *, what: str, timeout: float = SETTLE_SECONDS) -> T:
    """What the processes do in the background, awaited by polling with a deadline."""
    return wait_for(condition, timeout=timeout, interval=0.1, what=what)


def environment(database_url: str, sim_url: str, settings: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without any `CHECKOUT_*` setting of its own, plus this stack's settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CHECKOUT_", "PROVIDER_SIM_")) and name != "PROMETHEUS_MULTIPROC_DIR"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC_DIR), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(DEFAULT_SETTINGS)
    env.update({"CHECKOUT_DATABASE_URL": database_url, "CHECKOUT_STRIPE_API_BASE": sim_url})
    env.update(settings)
    return env


def send_webhooks_to(sim: ProviderSimProcess, api: ApiProcess) -> None:
    """The simulator delivers its signed webhooks to this API process, retrying quickly."""
    sim.configure_webhooks(
        url=f"{api.url}/webhooks/stripe", secret=WEBHOOK_SECRET, backoff_base_ms=50, backoff_max_ms=500
    )


class EngineProcess:
    """One `checkout-engine` command as a child process; its stdout and stderr go to ``log_path``."""

    def __init__(self, name: str, arguments: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.arguments = arguments
        self.env = dict(env)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def spawn(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"--- {self.name}: checkout-engine {' '.join(self.arguments)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "checkout_engine.cli", *self.arguments],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def is_ready(self) -> bool:
        raise NotImplementedError

    def wait_until_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if not self.is_running():
                raise RuntimeError(f"{self.name} exited during startup:\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{self.name} not ready within {timeout}s:\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: nothing after it runs in this process, no handler, no cleanup."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_SECONDS)

    def terminate(self) -> None:
        """SIGTERM, as an orchestrator stops it; ``finish_stopping`` then waits for the exit."""
        if self.is_running():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def finish_stopping(self, timeout: float = STOP_SECONDS) -> str | None:
        """Waits for the exit after SIGTERM; returns why the stop was not clean, or None."""
        if self.process is None:
            return None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
            return f"{self.name} ignored SIGTERM for {timeout}s and was killed"
        # A clean exit, or the signal re-raised once shutdown finished (as uvicorn does).
        return None if code in (0, -signal.SIGTERM) else f"{self.name} exited with {code} on SIGTERM"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class ApiProcess(EngineProcess):
    """`checkout-engine serve` on a free loopback port; ready once `/readyz` answers 200."""

    def __init__(self, name: str, env: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        super().__init__(name, self._arguments(), env, log_path)

    def _arguments(self) -> list[str]:
        # One process: a test's SIGKILL must take the whole API down, which a supervisor's children would survive.
        return ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """As for any process, except that a port taken between choosing and binding it is retried on a new one."""
        for attempt in range(1, BIND_ATTEMPTS + 1):
            try:
                super().wait_until_ready(timeout)
                return
            except RuntimeError:
                if attempt == BIND_ATTEMPTS or self.is_running() or "address already in use" not in self.log_text():
                    raise
            self.port = free_port()
            self.arguments = self._arguments()
            self.spawn()

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200
        except httpx.TransportError:
            return False


class WorkerProcess(EngineProcess):
    """`checkout-engine worker`; ready once it says its job loops run."""

    def __init__(self, name: str, env: Mapping[str, str], log_path: Path, *, concurrency: int = 1) -> None:
        super().__init__(name, ["worker", "--concurrency", str(concurrency)], env, log_path)

    def is_ready(self) -> bool:
        return "job loop(s)" in self.log_text()


class Fleet:
    """The API and worker processes of one test, on one database and one simulator."""

    def __init__(
        self, *, database_url: str, sim_url: str, log_dir: Path, settings: Mapping[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.sim_url = sim_url
        self.log_dir = log_dir
        self.settings = dict(settings or {})
        self.apis: list[ApiProcess] = []
        self.workers: list[WorkerProcess] = []

    def __enter__(self) -> Fleet:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        problems = self.stop()
        if problems and kind is None:
            raise AssertionError("processes did not stop cleanly: " + "; ".join(problems) + "\n" + self.logs())

    @property
    def api(self) -> ApiProcess:
        """The API process started last (the live one, after a crash and a restart)."""
        assert self.apis, "no API process was started"
        return self.apis[-1]

    def processes(self) -> Iterator[EngineProcess]:
        yield from self.apis
        yield from self.workers

    def _env(self, settings: Mapping[str, str]) -> dict[str, str]:
        return environment(self.database_url, self.sim_url, {**self.settings, **settings})

    def _log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, *, workers: int = 0, **settings: str) -> ApiProcess:
        """A new API process and ``workers`` new worker processes, spawned side by side; returns once all are
        ready. ``settings`` are extra `CHECKOUT_*` variables for these processes only."""
        name = f"api-{len(self.apis) + 1}"
        api = ApiProcess(name, self._env(settings), self._log(name))
        self.apis.append(api)
        self._launch([api, *self._new_workers(workers, settings)])
        return api

    def start_workers(self, count: int, **settings: str) -> list[WorkerProcess]:
        started = self._new_workers(count, settings)
        self._launch(started)
        return started

    def _new_workers(self, count: int, settings: Mapping[str, str]) -> list[WorkerProcess]:
        created = []
        for _ in range(count):
            name = f"worker-{len(self.workers) + 1}"
            worker = WorkerProcess(name, self._env(settings), self._log(name))
            self.workers.append(worker)
            created.append(worker)
        return created

    def _launch(self, processes: Sequence[EngineProcess]) -> None:
        for process in processes:
            process.spawn()
        for process in processes:
            process.wait_until_ready()

    def worker_with_pid(self, pid: int) -> WorkerProcess:
        return next(worker for worker in self.workers if worker.pid == pid)

    def stop(self) -> list[str]:
        """SIGTERM to every process still running, all at once; returns what did not stop cleanly."""
        running = [process for process in self.processes() if process.is_running()]
        for process in running:
            process.terminate()
        problems = [process.finish_stopping() for process in running]
        return [problem for problem in problems if problem]

    def logs(self, lines: int = 80) -> str:
        """The end of every process's log, for a failure report."""
        return "\n\n".join(
            f"===== {process.name} (pid {process.process.pid if process.process else '-'}) =====\n"
            f"{process.log_tail(lines)}"
            for process in self.processes()
        )


class HangingProvider:
    """An address that accepts every request and never answers it: a payment provider hanging mid-call, so a test
    knows a process is blocked at the provider (``requests`` holds what it sent) before anything happened there."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self._held: list[socket.socket] = []
        self.requests: list[bytes] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hanging-provider", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def __enter__(self) -> HangingProvider:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._closed.set()
        self._thread.join(timeout=STOP_SECONDS)
        for connection in [*self._held, self._server]:
            connection.close()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:  # the accept timed out (or the server closed): look at the stop flag again
                continue
            self._held.append(connection)
            connection.settimeout(STOP_SECONDS)
            try:
                self.requests.append(connection.recv(65536))
            except OSError:
                continue
