"""The job outbox on PostgreSQL: claims never overlap, failures back off and end `dead`, a lost lease is taken
over, and a sweep runs on one worker per interval."""

import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import jobs
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs import repository
from checkout_engine.jobs.model import JobStatus, RetryLater, RetryPolicy
from checkout_engine.jobs.worker import JobContext, Sweep, Worker
from checkout_engine.settings import Settings


def context(engine: Engine) -> JobContext:
    def no_provider() -> Any:
        raise AssertionError("these jobs need no provider")

    return JobContext(engine, Settings(database_url=str(engine.url)), provider_factory=no_provider)


def enqueue(engine: Engine, count: int, kind: str = "note", **options: Any) -> None:
    with UnitOfWork(engine) as uow:
        for n in range(count):
            repository.enqueue(uow.connection, kind, {"n": n}, **options)
        uow.commit()


def statuses(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [(row.status, row.attempts) for row in conn.execute(sa.select(jobs).order_by(jobs.c.id))]


def test_four_workers_draining_two_hundred_jobs_run_each_exactly_once(engine: Engine) -> None:
    enqueue(engine, 200)
    seen: list[int] = []
    lock = threading.Lock()

    def note(_: JobContext, payload: dict[str, Any]) -> None:
        with lock:
            seen.append(payload["n"])

    workers = [Worker(context(engine), handlers={"note": note}) for _ in range(4)]
    threads = [threading.Thread(target=worker.drain) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(seen) == list(range(200))
    assert set(statuses(engine)) == {("done", 1)}


def test_a_failing_job_backs_off_and_is_buried_after_its_last_attempt(engine: Engine) -> None:
    enqueue(engine, 1, max_attempts=3)

    def broken(_: JobContext, __: dict[str, Any]) -> None:
        raise RetryLater("provider down")

    worker = Worker(context(engine), handlers={"note": broken}, policy=RetryPolicy(base_seconds=60))
    assert worker.run_once() == 1
    with engine.connect() as conn:
        row = conn.execute(sa.select(jobs)).one()
    assert (row.status, row.attempts) == ("queued", 1) and "provider down" in row.last_error
    assert row.run_at > utcnow() + timedelta(seconds=25)  # backed off: not due again yet
    assert worker.run_once() == 0
    for _ in range(2):
        with engine.begin() as conn:
            conn.execute(sa.update(jobs).values(run_at=utcnow()))
        assert worker.run_once() == 1
    assert statuses(engine) == [("dead", 3)]


def test_a_job_whose_worker_died_is_taken_over_when_its_lease_runs_out(engine: Engine) -> None:
    enqueue(engine, 1)
    with UnitOfWork(engine) as uow:
        dead_workers_job = repository.claim(
            uow.connection, owner="dead-worker", lease=timedelta(seconds=-1), kinds=["note"]
        )
        uow.commit()
    assert dead_workers_job is not None
    ran: list[int] = []
    survivor = Worker(context(engine), handlers={"note": lambda _, payload: ran.append(payload["n"])})
    assert survivor.run_once() == 1 and ran == [0]
    assert statuses(engine) == [("done", 2)]
    with UnitOfWork(engine) as uow:  # the dead worker's late answer changes nothing
        assert not repository.complete(uow.connection, dead_workers_job, owner="dead-worker")


def test_a_job_is_enqueued_once_per_dedupe_key_while_it_is_pending(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        assert repository.enqueue(uow.connection, "note", {"n": 1}, dedupe_key="expire:ord_1")
        assert not repository.enqueue(uow.connection, "note", {"n": 1}, dedupe_key="expire:ord_1")
        uow.commit()
    Worker(context(engine), handlers={"note": lambda *_: None}).drain()
    with UnitOfWork(engine) as uow:
        assert repository.enqueue(uow.connection, "note", {"n": 1}, dedupe_key="expire:ord_1")


def test_a_worker_leaves_job_kinds_it_cannot_run_to_workers_that_can(engine: Engine) -> None:
    enqueue(engine, 1, kind="newer_kind")
    assert Worker(context(engine), handlers={"note": lambda *_: None}).run_once() == 0
    assert statuses(engine) == [(JobStatus.QUEUED.value, 0)]
    assert Worker(context(engine), handlers={"newer_kind": lambda *_: None}).run_once() == 1
    assert statuses(engine) == [(JobStatus.DONE.value, 1)]


def test_two_workers_never_run_one_sweep_in_the_same_interval(engine: Engine) -> None:
    runs: list[str] = []
    barrier = threading.Barrier(2)
    sweep = Sweep("count", timedelta(minutes=5), lambda _: runs.append("ran") or 1)

    def sweep_once() -> None:
        worker = Worker(context(engine), handlers={}, sweeps=(sweep,))
        barrier.wait(timeout=10)
        worker.run_due_sweeps()

    threads = [threading.Thread(target=sweep_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert runs == ["ran"]


def test_a_job_running_longer_than_its_lease_is_never_taken_over_while_its_worker_lives(engine: Engine) -> None:
    """The lease is renewed while the handler runs (a reconciliation run can take minutes): a second worker that
    keeps looking for due work never starts the same job beside it."""
    enqueue(engine, 1, kind="long")
    lease = timedelta(seconds=2)
    started = threading.Event()
    release = threading.Event()
    runs: list[str] = []

    def long_job(_: JobContext, __: dict[str, Any]) -> None:
        runs.append(threading.current_thread().name)
        started.set()
        release.wait(30)  # the work takes several leases; the test ends it

    first = Worker(context(engine), handlers={"long": long_job}, lease=lease)
    second = Worker(context(engine), handlers={"long": long_job}, lease=lease)
    runner = threading.Thread(target=first.run_once, name="first")
    runner.start()
    assert started.wait(10)
    deadline = threading.Event()
    for _ in range(12):  # three leases, looked at every quarter of one
        assert second.run_once() == 0
        deadline.wait(lease.total_seconds() / 4)
    release.set()
    runner.join(10)
    assert runs == ["first"]
    assert statuses(engine) == [("done", 1)]
