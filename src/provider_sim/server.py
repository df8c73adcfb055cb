"""Running the simulator as its own process: one uvicorn worker on one event loop."""

from __future__ import annotations

import sys

import uvicorn

from provider_sim.app import create_app
from provider_sim.config import SimConfig, generated_webhook_secret


def serve(
    host: str,
    port: int,
    *,
    webhook_url: str | None,
    webhook_secret: str | None,
    settle_delay_ms: int,
    journal_dir: str | None = None,
) -> None:
    """Serves until interrupted. Without a webhook secret one is generated and printed (as `stripe listen`
    does), so the receiving side can be configured with it."""
    config = SimConfig(
        webhook_url=webhook_url or None,
        webhook_secret=webhook_secret or generated_webhook_secret(),
        settle_delay_ms=settle_delay_ms,
        journal_dir=journal_dir,
    )
    print(
        f"provider_sim listening on http://{host}:{port} "
        f"(webhooks to {config.webhook_url or 'nowhere yet'}, secret {config.webhook_secret})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        # A connection held open by a `timeout_after_commit` fault must not delay shutdown.
        timeout_graceful_shutdown=2,
    )
