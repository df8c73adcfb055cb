"""`serve` uses the machine: as many API processes as the cores it may run on, or WEB_CONCURRENCY, or --workers."""

from __future__ import annotations

import os

import pytest
import typer
from typer.testing import CliRunner

from checkout_engine import cli


def test_the_default_is_the_cores_this_process_may_use() -> None:
    assert cli.default_web_workers({}) == min(len(os.sched_getaffinity(0)), cli.MAX_WEB_WORKERS)


def test_web_concurrency_overrides_the_cores() -> None:
    assert cli.default_web_workers({"WEB_CONCURRENCY": "3"}) == 3
    assert cli.default_web_workers({"WEB_CONCURRENCY": " "}) == cli.default_web_workers({})


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "65"])
def test_a_web_concurrency_that_is_no_count_of_processes_is_refused(value: str) -> None:
    with pytest.raises(typer.BadParameter, match="WEB_CONCURRENCY"):
        cli.default_web_workers({"WEB_CONCURRENCY": value})


@pytest.mark.parametrize(
    ("arguments", "environment", "expected"),
    [([], {"WEB_CONCURRENCY": "5"}, 5), (["--workers", "2"], {"WEB_CONCURRENCY": "5"}, 2), (["--workers", "1"], {}, 1)],
)
def test_serve_runs_the_processes_it_was_given(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], environment: dict[str, str], expected: int
) -> None:
    started: list[int] = []
    monkeypatch.setattr(cli, "_refuse_out_of_date", lambda settings: None)
    monkeypatch.setattr(cli, "_serve", lambda settings, host, port, workers: started.append(workers))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli.app, ["serve", *arguments])
    assert result.exit_code == 0, result.output
    assert started == [expected]


def test_serve_without_flags_or_web_concurrency_runs_one_process_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(cli, "_refuse_out_of_date", lambda settings: None)
    monkeypatch.setattr(cli, "_serve", lambda settings, host, port, workers: started.append(workers))
    assert CliRunner().invoke(cli.app, ["serve"]).exit_code == 0
    assert started == [cli.default_web_workers({})]
