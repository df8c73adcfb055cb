"""The worker: a loop over ``run_once()``, which claims one due job, runs its handler outside any transaction,
and records the outcome. Periodic sweeps run between jobs, each claimed by one worker at a time."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import sweeps
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.db.upsert import dialect_insert
from checkout_engine.jobs import repository
from checkout_engine.jobs.model import Job, RetryPolicy
from checkout_engine.observability import tracing
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings

log = structlog.get_logger(__name__)

IDLE_POLL_SECONDS = 0.5  # how long an idle worker waits before looking for due work again
# How often a busy job loop asks whether a sweep is due: each ask is a transaction per sweep, which must not be
# paid again for every job (sweep intervals are many seconds; a second late is nothing).
SWEEP_CHECK_SECONDS = 1.0


@dataclass
class JobContext:
    """What handlers get: the database, the settings and (built on first use) the payment provider."""

    engine: Engine
    settings: Settings
    provider_factory: Callable[[], PaymentProvider]
    _provider: PaymentProvider | None = field(default=None, init=False)

    @property
    def provider(self) -> PaymentProvider:
        if self._provider is None:
            self._provider = self.provider_factory()
        return self._provider


Handler = Callable[[JobContext, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Sweep:
    name: str
    interval: timedelta
    run: Callable[[JobContext], int]


class Heartbeat:
    """Renews the lease of the job a loop is running every third of the lease, so a handler that runs long (a
    reconciliation run) is never taken for a dead worker's and run a second time beside itself. One thread per
    loop, started with its first job; it sleeps while there is nothing to renew."""

    def __init__(self, engine: Engine, owner: str, lease: timedelta) -> None:
        self._engine, self._owner, self._lease = engine, owner, lease
        self._job_id: int | None = None
        self._since = 0.0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def running(self, job_id: int | None) -> None:
        with self._changed:
            self._job_id, self._since = job_id, time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name=f"lease-{self._owner}", daemon=True)
                self._thread.start()
            self._changed.notify()

    def _beat(self) -> None:
        interval = self._lease.total_seconds() / 3
        while True:
            with self._changed:
                while self._job_id is None or time.monotonic() - self._since < interval:
                    wait = None if self._job_id is None else interval - (time.monotonic() - self._since)
                    self._changed.wait(wait)
                job_id, self._since = self._job_id, time.monotonic()
            try:
                with UnitOfWork(self._engine) as uow:
                    kept = repository.extend_lease(uow.connection, job_id, owner=self._owner, lease=self._lease)
                    uow.commit()
                if not kept:
                    log.warning("job_lease_lost", job_id=job_id, owner=self._owner)
            except Exception:  # the database went away: the next beat tries again
                log.exception("job_lease_renewal_failed", job_id=job_id)


def default_owner() -> str:
    """Unique per job loop, and readable: which machine and process held a job."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    def __init__(
        self,
        context: JobContext,
        *,
        handlers: Mapping[str, Handler],
        sweeps: tuple[Sweep, ...] = (),
        policy: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=60),
        owner: str | None = None,
    ) -> None:
        self.context = context
        self.handlers = handlers
        self.sweeps = sweeps
        self.policy = policy or RetryPolicy()
        self.lease = lease
        self.owner = owner or default_owner()
        self._sweep_rows: set[str] = set()  # sweeps whose row this loop already made sure exists
        self._heartbeat = Heartbeat(context.engine, self.owner, lease)

    def run_once(self) -> int:
        """Claim and run at most one due job; returns how many it ran (0 or 1)."""
        engine = self.context.engine
        with UnitOfWork(engine) as uow:
            job = repository.claim(uow.connection, owner=self.owner, lease=self.lease, kinds=self.handlers)
            uow.commit()
        if job is None:
            return 0
        self._run(job)
        return 1

    def _run(self, job: Job) -> None:
        self._heartbeat.running(job.id)
        parent = job.payload.get(tracing.TRACEPARENT)
        described: dict[str, Any] = {"job.kind": job.kind, "job.attempt": job.attempts}
        try:
            with tracing.continued(parent, f"job {job.kind}", **described):
                self.handlers[job.kind](self.context, job.payload)
        except Exception as error:  # every failure is recorded on the job, none kills the worker
            detail = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}"
            with UnitOfWork(self.context.engine) as uow:
                status = repository.retry_or_bury(
                    uow.connection, job, owner=self.owner, error=detail, delay=self.policy.delay(job.attempts)
                )
                uow.commit()
            log.warning(
                "job_failed",
                job_id=job.id,
                kind=job.kind,
                attempts=job.attempts,
                next_status=status,
                error=type(error).__name__,
            )
            return
        finally:
            self._heartbeat.running(None)
        with UnitOfWork(self.context.engine) as uow:
            repository.complete(uow.connection, job, owner=self.owner)
            uow.commit()

    def run_due_sweeps(self) -> int:
        """Run every sweep whose time has come and which no other worker claimed first."""
        ran = 0
        for sweep in self.sweeps:
            if self._claim_sweep(sweep):
                result = sweep.run(self.context)
                with UnitOfWork(self.context.engine) as uow:
                    uow.connection.execute(
                        sweeps.update().where(sweeps.c.name == sweep.name).values(last_result={"count": result})
                    )
                    uow.commit()
                ran += 1
        return ran

    def _claim_sweep(self, sweep: Sweep) -> bool:
        now = utcnow()
        with UnitOfWork(self.context.engine) as uow:
            conn = uow.connection
            if sweep.name not in self._sweep_rows:
                conn.execute(
                    dialect_insert(conn, sweeps).values(name=sweep.name, next_run_at=now).on_conflict_do_nothing()
                )
            claimed = conn.execute(
                sweeps.update()
                .where(sweeps.c.name == sweep.name, sweeps.c.next_run_at <= now)
                .values(next_run_at=now + sweep.interval, last_owner=self.owner, last_run_at=now)
                .returning(sweeps.c.name)
            ).first()
            uow.commit()
        self._sweep_rows.add(sweep.name)
        return claimed is not None

    def drain(self, *, max_jobs: int = 10_000) -> int:
        """Run due jobs until none is left (or ``max_jobs``): what tests and `run_once` callers use."""
        ran = 0
        while ran < max_jobs and self.run_once():
            ran += 1
        return ran

    def run_forever(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: sweeps when due, jobs while there are any, a short idle wait otherwise.
        A job in flight when ``stop`` is set finishes before the loop ends."""
        next_sweep_check = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_sweep_check:
                    self.run_due_sweeps()
                    next_sweep_check = time.monotonic() + SWEEP_CHECK_SECONDS
                if not self.run_once():
                    stop.wait(IDLE_POLL_SECONDS)
            except Exception:  # the database went away, the pool ran dry...: keep the loop alive, back off
                log.exception("worker_loop_error")
                stop.wait(IDLE_POLL_SECONDS * 4)
