"""`python -m provider_sim`: flags, with `PROVIDER_SIM_*` environment variables as their defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from provider_sim.config import DEFAULT_PORT, DEFAULT_SETTLE_DELAY_MS
from provider_sim.server import serve


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(prog="provider_sim", description="A Stripe-compatible payment simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--webhook-url", default=env.get("PROVIDER_SIM_WEBHOOK_URL") or None)
    parser.add_argument("--webhook-secret", default=env.get("PROVIDER_SIM_WEBHOOK_SECRET") or None)
    parser.add_argument(
        "--settle-delay-ms",
        type=int,
        default=int(env.get("PROVIDER_SIM_SETTLE_DELAY_MS") or DEFAULT_SETTLE_DELAY_MS),
        help="how long pm_delayed_* payments stay processing before they settle",
    )
    parser.add_argument(
        "--journal-dir",
        default=env.get("PROVIDER_SIM_JOURNAL") or None,
        help="write every /v1 request and answer, one JSON line each, to a file in this directory",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    serve(
        args.host,
        args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        settle_delay_ms=args.settle_delay_ms,
        journal_dir=args.journal_dir,
    )


if __name__ == "__main__":
    main()
