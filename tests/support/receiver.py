"""A shop's webhook receiver as a process of its own: it answers each POST with the next status of its script
(then 200) and writes every request it got, headers and raw body, as one JSON line.

    with Receiver(tmp_path, answers=[500, 500]) as receiver:   # two failures, then success
        ... register receiver.url ...
        receiver.received()                                    # [{"path", "headers", "body", "status"}, ...]

Run as ``python -m support.receiver PORT LOG ANSWERS`` from tests/ (ANSWERS comma-separated, may be empty)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from support.provider_sim_process import free_port, wait_for

STARTUP_SECONDS = 20.0


class Receiver:
    def __init__(self, directory: Path, *, answers: list[int] | None = None) -> None:
        self.port = free_port()
        self.log = directory / f"receiver-{self.port}.jsonl"
        self.answers = answers or []
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> Receiver:
        answers = ",".join(str(code) for code in self.answers)
        tests = str(Path(__file__).resolve().parents[1])  # as a module: this folder's http.py is not the stdlib's
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))}
        arguments = [sys.executable, "-m", "support.receiver", str(self.port), str(self.log), answers]
        self._process = subprocess.Popen(arguments, env=env)
        wait_for(lambda: self.log.exists() or None, timeout=STARTUP_SECONDS, interval=0.05, what="the receiver")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def received(self) -> list[dict[str, Any]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [json.loads(line) for line in lines if line.strip()]


def _serve(port: int, log: Path, answers: list[int]) -> None:
    script = list(answers)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                status = script.pop(0) if script else 200
                record = {"path": self.path, "headers": dict(self.headers), "body": body.decode(), "status": status}
                with log.open("a") as out:
                    out.write(json.dumps(record) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    log.touch()
    server.serve_forever()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), Path(sys.argv[2]), [int(code) for code in sys.argv[3].split(",") if code])
