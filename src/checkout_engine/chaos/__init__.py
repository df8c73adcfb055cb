"""`checkout-engine chaos`: the whole product as separate processes under customer load, provider faults, unruly
webhooks and SIGKILLs, then drained, reconciled and checked against the money invariants.

- ``config``: the run's options and the short timings the engine runs with, so expiry and reconciliation happen
  within the run.
- ``database``: a fresh (or given, empty) PostgreSQL database, migrated.
- ``processes``: the supervisor that starts, kills and restarts the simulator, API and worker processes.
- ``catalog``: the shop the customers buy from, with hot SKUs of a few units.
- ``storefront`` / ``answers``: the customer's HTTP client, and the book of every idempotent answer seen.
- ``journeys``: what customers and the support desk do, made of ``steps`` (the customer's) and ``desk`` (the
  support desk's admin calls).
- ``faults``: the seeded schedule of provider faults, webhook mischief and kills, and its executor.
- ``drain``: waiting, with deadlines, until the system has come to rest.
- the books are read and checked by ``checkout_engine.invariants`` (``records.load``, ``check_all``), the same
  invariants the model test checks; ``answers`` checks the replays.
- ``report``: the summary, printed with Rich and written as JSON.
- ``run``: the orchestration.
"""
