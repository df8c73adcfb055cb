"""One chaos run, start to finish: database, processes, catalog; customers under faults and kills; calm, drain,
reconcile, drain again; then the books are read and checked, and the summary printed."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console

from checkout_engine.chaos import catalog, database
from checkout_engine.chaos.answers import AnswerBook, idempotent_replays
from checkout_engine.chaos.config import ChaosOptions, Secrets, engine_environment, engine_settings
from checkout_engine.chaos.customers import Shop, run_customers
from checkout_engine.chaos.drain import Backlog, Drained, drain
from checkout_engine.chaos.faults import Injector, plan
from checkout_engine.chaos.journeys import JOURNEYS, REFUND_PENDING
from checkout_engine.chaos.processes import Supervisor
from checkout_engine.chaos.report import Summary, ledger, render, write_json
from checkout_engine.chaos.simulator import CALM_WEBHOOKS, WEBHOOK_RETRY, SimControl
from checkout_engine.db.engine import make_engine
from checkout_engine.db.tables import reconciliation_findings
from checkout_engine.invariants import Violation, check_all, records
from checkout_engine.payments.factory import build_provider
from checkout_engine.reconciliation.service import reconcile

# Reconciliation looks back over the whole run, and a little before it for clock skew.
RECONCILE_LOOKBACK = timedelta(minutes=5)


def findings_by_kind(engine: sa.Engine) -> dict[str, int]:
    """What reconciliation found (and mostly repaired) over the whole run, scheduled runs included."""
    query = sa.select(reconciliation_findings.c.kind, sa.func.count()).group_by(reconciliation_findings.c.kind)
    with engine.connect() as conn:
        return {str(kind): int(count) for kind, count in conn.execute(query)}


class Run:
    """The state one run carries from phase to phase."""

    def __init__(self, options: ChaosOptions, url: str, console: Console) -> None:
        self.options = options
        self.url = url
        self.console = console
        self.keys = Secrets()
        self.log_dir = Path(tempfile.mkdtemp(prefix="checkout-chaos-"))
        self.supervisor = Supervisor(log_dir=self.log_dir, keys=self.keys)
        self.book = AnswerBook()
        self.summary = Summary(options.seed, options.duration, options.customers, database.printable(url))
        self.environment = engine_environment(database_url=url, sim_url=self.supervisor.sim_url, keys=self.keys)
        self.began_at = datetime.now(UTC)

    def say(self, message: str) -> None:
        self.console.log(f"[bold]chaos[/bold] {message}")

    def start(self) -> SimControl:
        self.say(f"starting the simulator, 2 APIs and 3 workers (logs in {self.log_dir})")
        self.supervisor.start_simulator()
        sim = SimControl(self.supervisor.sim_url)
        sim.configure_webhooks(**WEBHOOK_RETRY)
        self.supervisor.start_engine(self.environment)
        catalog.seed(self.supervisor.api_urls[0], self.keys.admin_key)
        return sim

    def chaos(self, sim: SimControl) -> None:
        options = self.options
        self.say(
            f"{options.customers} customers for {options.duration:.0f}s under faults and kills (seed {options.seed})"
        )
        injector = Injector(
            plan(options.seed, options.duration), sim=sim, supervisor=self.supervisor, seed=options.seed
        )
        injector.start()
        kinds = tuple(kind for kind in JOURNEYS if kind not in options.skip)
        shop = Shop(self.supervisor.api_urls, self.supervisor.sim_url, self.keys.admin_key, self.book, kinds)
        try:
            self.summary.journeys = run_customers(
                shop, count=options.customers, seed=options.seed, duration=options.duration
            )
        finally:
            injector.stop()
        self.summary.faults = injector.tally
        self.summary.restocked = injector.restocked
        self.summary.notes += injector.errors

    def calm(self, sim: SimControl) -> None:
        """Faults off, webhooks well-behaved and aimed at a live API, every process back up."""
        self.say("faults off; waiting for every process to be back")
        sim.clear_faults()
        sim.configure_webhooks(**CALM_WEBHOOKS, url=self.supervisor.webhook_url(0))
        self.supervisor.settle()
        self.summary.kills = list(self.supervisor.kills)
        self.summary.notes += self.supervisor.restart_failures

    def settle_down(self, engine: sa.Engine, sim: SimControl) -> Drained:
        deadline = time.monotonic() + self.options.drain_timeout
        self.say("draining")
        quiet = drain(engine, sim, until=Backlog.quiet, timeout=self.options.drain_timeout / 2)
        self.summary.drains["quiet"] = quiet
        # Such refunds stay pending for 3 simulated days: their journey pays them out, unless its time ran out first.
        if paid_out := sim.settle_refunds_held_by(REFUND_PENDING):
            self.summary.notes.append(f"{paid_out} refunds held by {REFUND_PENDING} paid out after their journeys")
        self.say("reconciling")
        settings = engine_settings(self.environment)
        result = reconcile(
            engine, build_provider(settings), settings, trigger="chaos", since=self.began_at - RECONCILE_LOOKBACK
        )
        self.summary.reconciliation = {**asdict(result.tally), "error": result.error}
        self.say("draining again")
        rest = drain(engine, sim, until=Backlog.at_rest, timeout=max(5.0, deadline - time.monotonic()))
        self.summary.drains["at rest"] = rest
        return rest

    def check(self, engine: sa.Engine, sim: SimControl, rest: Drained) -> None:
        self.say("stopping the engine's processes and checking the books")
        self.supervisor.stop_engine()  # nothing may move while the books are read
        stocked = Counter(catalog.initial_stock()) + self.summary.restocked
        world = records.load(engine, sim, dict(stocked))
        violations = check_all(world) + idempotent_replays(self.book.by_key())
        if not rest.reached:
            violations.append(Violation("system_drains", "backlog", f"not at rest after draining: {rest.backlog}"))
        violations += [Violation("no_server_errors", "api", error) for error in self.book.server_errors()]
        summary = self.summary
        summary.violations = violations
        summary.money = ledger(world)
        summary.dead_jobs = sum(job.status == "dead" for job in world.jobs)
        summary.replays = self.book.replays()
        summary.server_errors = self.book.server_errors()
        summary.reconciliation["findings during the run"] = findings_by_kind(engine)

    def execute(self) -> None:
        sim = self.start()
        engine = make_engine(self.url, pool_size=2)
        try:
            self.chaos(sim)
            self.calm(sim)
            self.check(engine, sim, self.settle_down(engine, sim))
        finally:
            engine.dispose()
            sim.close()


def run_chaos(options: ChaosOptions, console: Console) -> Summary:
    """The whole run; the summary says whether every invariant held. Logs and a database the run created are
    removed after a clean run and kept (and named) after a failed one."""
    started = time.monotonic()
    created = options.database_url is None
    url = options.database_url or database.create_database()
    run = Run(options, url, console)
    try:
        database.prepare(url)
        run.execute()
    except BaseException:
        console.print(
            f"[red]chaos run aborted[/red]; process logs kept in {run.log_dir}, database {run.summary.database}"
        )
        raise
    finally:
        run.supervisor.stop_all()
        run.summary.elapsed_seconds = round(time.monotonic() - started, 1)
    summary = run.summary
    if summary.passed:
        shutil.rmtree(run.log_dir, ignore_errors=True)
        if created:
            database.drop_database(url)
    else:
        summary.logs = str(run.log_dir)
        summary.notes.append(f"database kept for inspection: {summary.database}")
    render(summary, console)
    if options.json_path:
        write_json(summary, options.json_path)
    return summary
