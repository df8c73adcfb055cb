"""Prometheus metrics, defined once and imported where they are counted."""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOK_DELIVERIES = Counter(
    "checkout_webhook_deliveries_total", "Webhook deliveries accepted, by whether the event was new.", ["outcome"]
)
WEBHOOK_SIGNATURE_FAILURES = Counter(
    "checkout_webhook_signature_failures_total", "Webhook deliveries refused for a bad or missing signature."
)
