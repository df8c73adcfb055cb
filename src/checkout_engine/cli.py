"""The `checkout-engine` command."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from checkout_engine.admin import commands as admin_commands
from checkout_engine.db import migrate as migrations
from checkout_engine.db.engine import make_engine
from checkout_engine.settings import Settings, get_settings

app = typer.Typer(help="checkout-engine: a checkout backend that survives real-world failure.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]


def _refuse_out_of_date(settings: Settings) -> None:
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        migrations.ensure_current(engine)
    except migrations.SchemaOutOfDate as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()


MAX_WEB_WORKERS = 64


def default_web_workers(environ: Mapping[str, str] = os.environ) -> int:
    """``WEB_CONCURRENCY`` when set (as gunicorn and uvicorn read it), else the cores this process may run on."""
    configured = environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        if not configured.isdigit() or not 1 <= int(configured) <= MAX_WEB_WORKERS:
            raise typer.BadParameter(
                f"WEB_CONCURRENCY={configured!r}: give a whole number of API processes from 1 to {MAX_WEB_WORKERS}."
            )
        return int(configured)
    # The cores we may use, not the machine's: a container pinned to some cores counts only those.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_WEB_WORKERS, cores))


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    from checkout_engine.api.app import create_app
    from checkout_engine.observability.logging import configure

    if workers == 1:
        configure(json=True)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False, access_log=False)
        return
    # Several processes share the port; their counters must be summed at /metrics, so they keep them in files.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="checkout-engine-metrics-")
    uvicorn.run(
        "checkout_engine.api.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # The client's address is ours to work out (CHECKOUT_TRUSTED_PROXIES): uvicorn's own reading of
        # X-Forwarded-For would believe any loopback peer.
        proxy_headers=False,
        access_log=False,  # ours (observability/access_log.py) names routes, never paths holding capabilities
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = get_settings()
    engine = make_engine(settings.database_url, pool_size=1)
    before = migrations.current_revisions(engine)
    migrations.upgrade(engine)
    after = migrations.current_revisions(engine)
    engine.dispose()
    state = "already up to date" if before == after else f"upgraded to {', '.join(sorted(after))}"
    console.print(f"Schema {state}.")


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_WEB_WORKERS,
            help="API processes sharing the port [default: the machine's cores, or WEB_CONCURRENCY when set].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (refuses to start on an out-of-date schema)."""
    processes = workers if workers is not None else default_web_workers()
    settings = get_settings()
    _refuse_out_of_date(settings)
    _serve(settings, host, port, processes)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Jobs run side by side in this process.")] = 1,
) -> None:
    """Run jobs and periodic sweeps until SIGTERM or Ctrl-C; a job in flight finishes first."""
    from checkout_engine.jobs.registry import HANDLERS, sweeps
    from checkout_engine.jobs.worker import JobContext, Worker
    from checkout_engine.observability import tracing
    from checkout_engine.observability.logging import configure
    from checkout_engine.payments.factory import build_provider

    configure(json=True)
    settings = get_settings()
    _refuse_out_of_date(settings)
    tracing.configure()  # when the OTEL_* variables ask for traces
    engine = make_engine(settings.database_url, pool_size=concurrency + 1)
    context = JobContext(engine, settings, provider_factory=lambda: build_provider(settings))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    lease = timedelta(seconds=settings.job_lease_seconds)
    threads = [
        threading.Thread(
            target=Worker(context, handlers=HANDLERS, sweeps=sweeps(settings), lease=lease).run_forever,
            args=(stop,),
            name=f"worker-{n}",
        )
        for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    console.print(f"worker running {concurrency} job loop(s) on {settings.database_url}")
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.5)
    engine.dispose()
    tracing.shutdown()  # what the exporter still holds is sent


@app.command("provider-sim")
def provider_sim(
    host: Host = "127.0.0.1",
    port: Port = 12111,
    webhook_url: Annotated[str | None, typer.Option(envvar="PROVIDER_SIM_WEBHOOK_URL")] = None,
    webhook_secret: Annotated[str | None, typer.Option(envvar="PROVIDER_SIM_WEBHOOK_SECRET")] = None,
    settle_delay_ms: Annotated[int, typer.Option(envvar="PROVIDER_SIM_SETTLE_DELAY_MS")] = 2000,
) -> None:
    """The Stripe-compatible payment provider simulator (its own process, its own state)."""
    from provider_sim.server import serve as serve_simulator

    serve_simulator(host, port, webhook_url=webhook_url, webhook_secret=webhook_secret, settle_delay_ms=settle_delay_ms)


@app.command()
def run(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    sim_port: Annotated[int, typer.Option(help="Port of the provider simulator it starts.")] = 12111,
) -> None:
    """The API, a worker and the provider simulator together on the embedded database, with a demo catalog."""
    from checkout_engine.local_stack import (
        DEMO_STAFF_EMAIL,
        local_settings,
        prepare_database,
        simulator,
        worker_thread,
    )

    base = f"http://{host}:{port}"
    # uvicorn re-raises SIGTERM once it has shut down; turning it into SystemExit lets the simulator and the
    # worker below be stopped on the way out instead of being left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    settings = local_settings(get_settings(), api_url=base, sim_port=sim_port)
    seeded, staff_password = prepare_database(settings)
    with simulator(settings, api_url=base, sim_port=sim_port), worker_thread(settings):
        console.print(f"[bold]checkout-engine[/bold] on {base}  (database: {settings.database_url})")
        if seeded:
            console.print(
                "Demo catalog written: TSHIRT-BLUE-M, MUG-LOGO, BOOK-CHECKOUT, EBOOK-CHECKOUT, coupon WELCOME10."
            )
        console.print(f"API docs:           {base}/docs")
        console.print(f"Dashboard:          {base}/ops")
        if staff_password:
            console.print(f"Demo staff login:   {DEMO_STAFF_EMAIL} / {staff_password}  (admin; shown once)")
        console.print(f"Provider simulator: {settings.stripe_api_base}  (steer it under /_sim/)")
        console.print(f"Try it:             checkout-engine try-it --url {base} --sim-url {settings.stripe_api_base}")
        _serve(settings, host, port)


@app.command("try-it")
def try_it(
    url: Annotated[str, typer.Option(help="Where `checkout-engine run` serves.")] = "http://127.0.0.1:8000",
    sim_url: Annotated[str, typer.Option(help="Its provider simulator.")] = "http://127.0.0.1:12111",
) -> None:
    """Make one purchase against a running `checkout-engine run`, step by step."""
    from checkout_engine.try_it import purchase

    state = purchase(url, sim_url, lambda line: console.print(f"  {line}"))
    raise typer.Exit(code=0 if state == "fulfilled" else 1)


@app.command()
def reconcile(
    since: Annotated[
        str | None, typer.Option(help="ISO time to look back to (default: the last run's cursor).")
    ] = None,
) -> None:
    """One reconciliation run now, with a progress bar and a summary table."""
    from datetime import datetime

    from rich.progress import Progress
    from rich.table import Table

    from checkout_engine.payments.factory import build_provider
    from checkout_engine.reconciliation.service import CHECKS
    from checkout_engine.reconciliation.service import reconcile as run_reconciliation

    settings = get_settings()
    _refuse_out_of_date(settings)
    start = datetime.fromisoformat(since).astimezone() if since else None
    engine = make_engine(settings.database_url)
    with Progress(console=console) as progress:
        task = progress.add_task("reconciling", total=len(CHECKS))

        def advance(name: str) -> None:
            progress.update(task, description=name)
            progress.advance(task)

        summary = run_reconciliation(
            engine, build_provider(settings), settings, trigger="cli", since=start, on_check=advance
        )
    engine.dispose()
    table = Table(title=f"reconciliation run {summary.run_id}")
    table.add_column("checked")
    table.add_column("count", justify="right")
    for name, count in sorted(summary.tally.checked.items()):
        table.add_row(name, str(count))
    for label, value in (
        ("findings", summary.tally.findings),
        ("repairs", summary.tally.repairs),
        ("errors", summary.tally.errors),
    ):
        table.add_row(f"[bold]{label}[/bold]", str(value))
    console.print(table)
    if summary.error:
        console.print(f"[red]{summary.error}[/red]")
        raise typer.Exit(code=1)


@app.command()
def chaos(
    duration: Annotated[float, typer.Option(min=5, help="Seconds of customer load under faults and kills.")] = 60,
    customers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent customers.")] = 8,
    seed: Annotated[int, typer.Option(help="Seeds journeys, faults and kills: the same seed, the same plan.")] = 1,
    database_url: Annotated[
        str | None, typer.Option(help="An empty PostgreSQL database to use (default: a fresh one, dropped if clean).")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the summary here as JSON.")] = None,
    skip: Annotated[list[str] | None, typer.Option(help="A journey kind to leave out (repeatable).")] = None,
) -> None:
    """The whole product as separate processes under customer load, provider faults, unruly webhooks and SIGKILLs;
    then drained, reconciled and checked against the money invariants. Exits 1 on any violation."""
    from checkout_engine.chaos.config import ChaosOptions
    from checkout_engine.chaos.journeys import JOURNEYS
    from checkout_engine.chaos.run import run_chaos

    unknown = set(skip or ()) - set(JOURNEYS)
    if unknown:
        raise typer.BadParameter(f"unknown journey kinds {sorted(unknown)}; known: {', '.join(JOURNEYS)}")
    options = ChaosOptions(
        duration, customers, seed, database_url=database_url, json_path=json_path, skip=frozenset(skip or ())
    )
    summary = run_chaos(options, Console(soft_wrap=True))
    raise typer.Exit(code=0 if summary.passed else 1)


app.add_typer(admin_commands.admin, name="admin")


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
