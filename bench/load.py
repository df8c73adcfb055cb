"""The load generator: wrk (C, from Debian's packages) replaying prepared requests, so that the machine's CPU goes
to the engine under test and not to a Python client (one costs about as much CPU per request as the engine's own
webhook ingest). Each request is prepared ahead (a ready cart's checkout, a signed event) and sent once."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPLAY_SCRIPT = Path(__file__).resolve().parent / "replay.lua"
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Prepared:
    method: str
    path: str
    body: str  # compact JSON: no tabs or newlines, never empty
    headers: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        headers = [f"{name}: {value}" for name, value in {"Content-Type": "application/json", **self.headers}.items()]
        return "\t".join([self.method, self.path, *headers, self.body])


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    failures: int  # answers other than 2xx/3xx, and socket errors
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return round(self.requests / self.seconds, 1)


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("the benchmarks need wrk: apt-get install wrk (`make bench` installs it)")
    return found


def replay(url: str, prepared: Sequence[Prepared], *, connections: int, seconds: int) -> Load:
    """``connections`` clients send the prepared requests, each once, for ``seconds``; refuses to reuse any."""
    threads = min(connections, 2)
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as file:
        file.writelines(request.line() + "\n" for request in prepared)
    command = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency"]
    command += ["-s", str(REPLAY_SCRIPT), url, "--", file.name, str(threads)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(file.name).unlink()
    load = parse(output)
    if load.requests > len(prepared) - threads:
        raise RuntimeError(f"wrk sent {load.requests} requests but only {len(prepared)} were prepared: prepare more")
    return load


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return round(float(number) * UNITS_MS[unit], 1)


def parse(output: str) -> Load:
    sent = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    if sent is None:
        raise RuntimeError(f"wrk printed no request count:\n{output}")
    seconds = _ms(sent.group(2) + sent.group(3)) / 1000
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+[a-z]+)\s*$", output, flags=re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failures = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket.groups())) if socket else 0)
    return Load(
        requests=int(sent.group(1)),
        seconds=seconds,
        failures=failures,
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
    )
