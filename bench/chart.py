"""Draws docs/benchmarks-throughput.png from bench/results/checkout_rate.json: checkouts per second and p99 latency
against concurrency, with pgbench's figure for the same writes beside them.

    .venv/bin/python bench/chart.py
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: render straight to a file
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CHART = ROOT / "docs" / "benchmarks-throughput.png"


def main() -> None:
    measured = json.loads((RESULTS / "checkout_rate.json").read_text())
    levels = measured["checkout"]
    concurrency = [level["concurrency"] for level in levels]
    figure, (rates, latency) = plt.subplots(1, 2, figsize=(11, 4.2))
    rates.plot(concurrency, [level["per_second"] for level in levels], "o-", label="checkout-engine over HTTP")
    rates.plot(concurrency, [level["pgbench_per_second"] for level in levels], "s--", label="pgbench, same writes")
    rates.set_xscale("log", base=2)
    rates.set_yscale("log")
    rates.set_xticks(concurrency, [str(level) for level in concurrency])
    rates.set_xlabel("concurrent clients")
    rates.set_ylabel("checkouts per second (log)")
    rates.set_title("Throughput")
    rates.grid(True, which="both", alpha=0.3)
    rates.legend()
    latency.plot(concurrency, [level["p50_ms"] for level in levels], "o-", label="p50")
    latency.plot(concurrency, [level["p99_ms"] for level in levels], "o-", label="p99")
    latency.set_xscale("log", base=2)
    latency.set_xticks(concurrency, [str(level) for level in concurrency])
    latency.set_xlabel("concurrent clients")
    latency.set_ylabel("checkout latency (ms)")
    latency.set_title("Latency")
    latency.grid(True, alpha=0.3)
    latency.legend()
    figure.suptitle(
        f"Checkout on PostgreSQL, {measured['cores']} cores, serve --workers {measured['api_workers']}"
        f" (measured {measured['measured_at']})"
    )
    figure.tight_layout()
    CHART.parent.mkdir(exist_ok=True)
    figure.savefig(CHART, dpi=110)
    print(f"wrote {CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
