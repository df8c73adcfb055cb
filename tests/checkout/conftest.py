"""Checkout runs against the real database and the simulator process, through the engine's Stripe adapter."""

from support.stack import client, live, provider, settings, shop, wired, worker

__all__ = ["client", "live", "provider", "settings", "shop", "wired", "worker"]
