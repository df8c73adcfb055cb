"""The example Prometheus alert rules parse, and every metric they use is one the product exports."""

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import checkout_engine.observability.metrics  # noqa: F401 - registers the metrics

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
SCRAPE_TIME_GAUGES = {
    "checkout_orders",
    "checkout_orders_stuck",
    "checkout_orders_needing_review",
    "checkout_jobs",
    "checkout_approvals",
    "checkout_approvals_oldest_pending_seconds",
    "checkout_outgoing_webhooks_oldest_pending_seconds",
    "checkout_webhook_endpoints_disabled",
}


def exported() -> set[str]:
    names = set(SCRAPE_TIME_GAUGES)
    for metric in REGISTRY.collect():
        names.add(metric.name)
        if metric.type == "counter":  # a labelled counter shows no sample before its first increment
            names.add(f"{metric.name}_total")
        names.update(sample.name for sample in metric.samples)
    return names


def test_every_rule_is_complete_and_uses_only_exported_metrics() -> None:
    document = yaml.safe_load(RULES.read_text())
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    assert len(rules) >= 6
    names = exported()
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in {"page", "ticket"}
        used = set(re.findall(r"\b(checkout_[a-z_]+)", rule["expr"]))
        assert used and used <= names, (rule["alert"], used - names)
