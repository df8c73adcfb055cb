"""Runs the provider simulator as a real, separate process for tests, and steers it through `/_sim`.

with ProviderSimProcess(webhook_url="http://127.0.0.1:8000/webhooks/stripe") as sim:
    client = sim.stripe_client()
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    sim.add_fault("POST", "/v1/payment_intents", "error_500")
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
import stripe

T = TypeVar("T")
SRC_DIR = Path(__file__).resolve().parents[2] / "src"
_START_ATTEMPTS = 3
# Set by the conformance plugin (tests/conformance/plugin.py) for the whole session, xdist workers included: every
# simulator a test starts journals its `/v1` exchanges there, to be checked against Stripe's spec at the end.
JOURNAL_DIR_VARIABLE = "CONFORMANCE_JOURNAL_DIR"


class SimControlError(RuntimeError):
    """A `/_sim` call answered with an error status."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"/_sim call failed with {status}: {body}")
        self.status = status
        self.body = body


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(
    condition: Callable[[], T | None],
    *,
    timeout: float = 5.0,
    interval: float = 0.02,
    what: str = "condition",
) -> T:
    """Polls `condition` until it returns something truthy, which is returned; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class ProviderSimProcess:
    """`sys.executable -m provider_sim` on a free loopback port; ready once `/_sim/health` answers."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        settle_delay_ms: int | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.host = host
        self._fixed_port = port
        self.port = port or 0
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.settle_delay_ms = settle_delay_ms
        self._extra_env = dict(env or {})
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._http = httpx.Client(timeout=30.0, trust_env=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- Lifecycle ------------------------------------------------------------------------------------------

    def __enter__(self) -> ProviderSimProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> ProviderSimProcess:
        """Starts the process; a port taken between choosing and binding it is retried on a new one."""
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = self._fixed_port or free_port(self.host)
            self._spawn()
            if self._wait_until_ready() or attempt == _START_ATTEMPTS or self._fixed_port:
                break
        if not self.is_running():
            tail = self.log_tail()
            self.stop()
            raise RuntimeError(f"provider_sim did not start:\n{tail}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._http.close()
        self._http = httpx.Client(timeout=30.0, trust_env=False)
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def _command(self) -> list[str]:
        command = [sys.executable, "-m", "provider_sim", "--host", self.host, "--port", str(self.port)]
        if self.webhook_url is not None:
            command += ["--webhook-url", self.webhook_url]
        if self.webhook_secret is not None:
            command += ["--webhook-secret", self.webhook_secret]
        if self.settle_delay_ms is not None:
            command += ["--settle-delay-ms", str(self.settle_delay_ms)]
        return command

    def _environment(self) -> dict[str, str]:
        # Settings inherited from the caller's shell must not leak into a test's simulator.
        env = {name: value for name, value in os.environ.items() if not name.startswith("PROVIDER_SIM_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC_DIR), env.get("PYTHONPATH")]))
        if os.environ.get(JOURNAL_DIR_VARIABLE):
            env["PROVIDER_SIM_JOURNAL"] = os.environ[JOURNAL_DIR_VARIABLE]
        env.update(self._extra_env)
        return env

    def _spawn(self) -> None:
        self.stop()
        log = tempfile.NamedTemporaryFile(prefix="provider_sim-", suffix=".log", delete=False)  # noqa: SIM115
        self._log_path = Path(log.name)
        with log:
            self._process = subprocess.Popen(
                self._command(), stdout=log, stderr=subprocess.STDOUT, env=self._environment()
            )

    def _wait_until_ready(self) -> bool:
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                return False
            if self._answers_health_check():
                return True
            time.sleep(0.02)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"provider_sim not ready within {self._startup_timeout}s:\n{tail}")

    def _answers_health_check(self) -> bool:
        """True once this process, and not another one on the same port, answers `/_sim/health`."""
        assert self._process is not None
        try:
            response = self._http.get(f"{self.url}/_sim/health", timeout=1.0)
        except httpx.TransportError:
            return False
        return response.status_code == 200 and response.json().get("pid") == self._process.pid

    # -- Steering -------------------------------------------------------------------------------------------

    def sim(self, method: str, path: str, json: Any = None, params: Mapping[str, str] | None = None) -> Any:
        """Calls a `/_sim` endpoint (`path` with or without the `/_sim` prefix) and returns its JSON."""
        path = path if path.startswith("/_sim") else "/_sim/" + path.lstrip("/")
        response = self._http.request(method, self.url + path, json=json, params=params)
        if response.status_code >= 400:
            raise SimControlError(response.status_code, response.text)
        return response.json()

    def reset(self) -> None:
        self.sim("POST", "reset")

    def add_fault(self, method: str, path: str, mode: str, count: int = 1, latency_ms: int = 0) -> dict[str, Any]:
        spec = {"method": method, "path": path, "mode": mode, "count": count, "latency_ms": latency_ms}
        result: dict[str, Any] = self.sim("POST", "faults", spec)
        return result

    def clear_faults(self) -> None:
        self.sim("DELETE", "faults")

    def configure_webhooks(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.sim("PUT", "webhooks", settings)
        return result

    def flush_webhooks(self) -> dict[str, Any]:
        result: dict[str, Any] = self.sim("POST", "webhooks/flush")
        return result

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        query = {"event_id": event_id} if event_id else None
        result: list[dict[str, Any]] = self.sim("GET", "webhooks/deliveries", params=query)["data"]
        return result

    def configure_settlement(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.sim("PUT", "settlement", settings)
        return result

    def authenticate(self, intent_id: str, outcome: str = "succeed") -> dict[str, Any]:
        result: dict[str, Any] = self.sim("POST", f"payment_intents/{intent_id}/authenticate", {"outcome": outcome})
        return result

    def settle(self, intent_id: str, outcome: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.sim("POST", f"payment_intents/{intent_id}/settle", {"outcome": outcome})
        return result

    def settle_refund(self, refund_id: str, outcome: str = "succeed") -> dict[str, Any]:
        result: dict[str, Any] = self.sim("POST", f"refunds/{refund_id}/settle", {"outcome": outcome})
        return result

    def alter_payment_intent(self, intent_id: str, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.sim("PATCH", f"payment_intents/{intent_id}", changes)
        return result

    def open_dispute(self, intent_id: str, **details: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.sim("POST", f"payment_intents/{intent_id}/dispute", details)
        return result

    # -- Clients --------------------------------------------------------------------------------------------

    def stripe_client(self, api_key: str = "sk_test_provider_sim", **options: Any) -> stripe.StripeClient:
        """The official client pointed at this process; no automatic retries unless asked for."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, **options)
