"""Checkout runs against the real database and the simulator process, through the engine's Stripe adapter."""

from support.stack import (
    client,
    default_items,
    fulfilled,
    live,
    place,
    provider,
    settings,
    shop,
    state_of,
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
    "settings",
    "shop",
    "state_of",
    "wired",
    "worker",
]
