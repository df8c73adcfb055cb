"""Incidents reproduced in-process run against the real database and the simulator process."""

from support.stack import (
    client,
    default_items,
    fulfilled,
    live,
    place,
    provider,
    refund,
    settings,
    shop,
    state_of,
    webhooks_only,
    wired,
    worker,
)

__all__ = [
    "client",
    "default_items",
    "fulfilled",
    "live",
    "place",
    "provider",
    "refund",
    "settings",
    "shop",
    "state_of",
    "webhooks_only",
    "wired",
    "worker",
]
