"""Limits on coupon attempts, as pure rules: whose attempts are counted together, and what a refusal says.

Every attempt takes a slot in a fixed window per client address and per cart before the code is looked up, so a
caller over either limit learns nothing about any code; a code that applies gives its slots back."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from checkout_engine.errors import TooManyRequests

KEY_MAX_LENGTH = 64  # the width of coupon_failures.key
IPV6_NETWORK_PREFIX = 64  # one IPv6 customer gets a whole /64, so a single address would be a free new identity


class Scope(StrEnum):
    ADDRESS = "address"  # new carts cost nothing: this is the limit that stops guessing
    CART = "cart"  # also holds when the address is unknown or shared by many customers


@dataclass(frozen=True, slots=True)
class Count:
    """A window's failures so far, this attempt included."""

    scope: Scope
    failures: int
    window_started_at: datetime


def address_key(address: str) -> str:
    """The identity an address is counted under: an IPv4 address itself, an IPv6 address's /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:KEY_MAX_LENGTH]  # not an IP (a test client, a unix socket): counted as it is
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_NETWORK_PREFIX}", strict=False))
    return str(ip)


def scopes_for(cart_id: str, client_address: str | None) -> list[tuple[Scope, str]]:
    """The counters an attempt takes, always in this order (address, then cart) so that requests lock the
    counter rows in one order and never deadlock."""
    scopes = [(Scope.CART, cart_id)]
    if client_address:
        scopes.insert(0, (Scope.ADDRESS, address_key(client_address)))
    return scopes


def window_start_cutoff(now: datetime, window_seconds: int) -> datetime:
    """A window that started at or before this has ended; the next failure starts a new one."""
    return now - timedelta(seconds=window_seconds)


def retry_after_seconds(window_started_at: datetime, now: datetime, window_seconds: int) -> int:
    """Whole seconds until the window ends (at least 1, so a client never retries at once)."""
    remaining = (window_started_at + timedelta(seconds=window_seconds) - now).total_seconds()
    return max(1, math.ceil(remaining))


def refuse_if_over(count: Count, *, limit: int, now: datetime, window_seconds: int) -> None:
    if count.failures <= limit:
        return
    retry_after = retry_after_seconds(count.window_started_at, now, window_seconds)
    raise TooManyRequests(
        f"Too many coupon codes were tried; try again in {retry_after} seconds.",
        code="too_many_attempts",
        details={"retry_after_seconds": retry_after},
    )
