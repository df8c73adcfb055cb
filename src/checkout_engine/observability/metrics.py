"""Prometheus metrics, defined once and counted where things happen.

Counters and histograms live in the process that counts them; with ``PROMETHEUS_MULTIPROC_DIR`` set (several API
and worker processes), prometheus-client keeps them in files there and ``/metrics`` sums every process. Order
states, stuck orders and orders under review are read from the database at scrape time, so every process agrees.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CHECKOUTS = Counter("checkout_creations_total", "Checkouts that created an order (replays not counted).")
PAYMENT_INITIATIONS = Counter("checkout_payment_initiations_total", "Payment intents created at the provider.")
PAYMENTS = Counter("checkout_payments_total", "Payment outcomes applied to orders.", ["outcome"])
WEBHOOK_DELIVERIES = Counter(
    "checkout_webhook_deliveries_total", "Webhook deliveries accepted, by whether the event was new.", ["outcome"]
)
WEBHOOK_SIGNATURE_FAILURES = Counter(
    "checkout_webhook_signature_failures_total", "Webhook deliveries refused for a bad or missing signature."
)
WEBHOOK_PROCESSING_FAILURES = Counter(
    "checkout_webhook_processing_failures_total", "Webhook processing attempts that failed."
)
WEBHOOK_PROCESSING_SECONDS = Histogram(
    "checkout_webhook_processing_seconds",
    "Time to process one stored webhook event.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RECONCILIATION_MISMATCHES = Counter(
    "checkout_reconciliation_mismatches_total", "Reconciliation findings, by kind.", ["kind"]
)
RECONCILIATION_REPAIRS = Counter("checkout_reconciliation_repairs_total", "Findings reconciliation repaired itself.")
PROVIDER_SECONDS = Histogram(
    "checkout_provider_request_seconds",
    "Payment provider API latency, by operation.",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PROVIDER_ERRORS = Counter(
    "checkout_provider_errors_total",
    "Payment provider calls that failed, by operation and kind.",
    ["operation", "kind"],
)
PROVIDER_RETRIES = Counter(
    "checkout_provider_lookups_after_timeout_total", "Look-ups by our reference after a call's answer was lost."
)
IDEMPOTENCY = Counter(
    "checkout_idempotency_total",
    "Idempotency-Key outcomes other than a first run: replays and in-flight conflicts.",
    ["outcome"],
)
REPEATED_OPERATIONS = Counter(
    "checkout_repeated_operations_total",
    "Refunds or captures found already done at the provider on a retry.",
    ["operation"],
)
RESERVATION_EXPIRIES = Counter("checkout_reservation_expiries_total", "Unpaid orders expired and their stock released.")
DB_STATEMENTS = Counter("checkout_db_statements_total", "SQL statements sent to the database by this engine.")
DB_COMMITS = Counter("checkout_db_commits_total", "Database transactions committed by this engine.")
OUTGOING_DELIVERIES = Counter(
    "checkout_outgoing_webhook_deliveries",
    "Attempts to deliver an event to a shop endpoint, by outcome (delivered, failed, dead).",
    ["outcome"],
)
