"""The address of the client behind a request, for limits counted per client.

``X-Forwarded-For`` is believed only when the direct peer is a trusted proxy; then the right-most address that is
not itself a trusted proxy is the client (every hop to its right was added by a proxy we trust; anything to its
left was written by the client and may be forged). Otherwise the peer's own address is the client."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address

from starlette.requests import Request

from checkout_engine.settings import Networks, Settings

IpAddress = IPv4Address | IPv6Address


def parse_address(text: str) -> IpAddress | None:
    """An address as proxies write it (``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443``, ``2001:db8::1``),
    an IPv4-mapped IPv6 address as the IPv4 address it is; None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IpAddress | None, networks: Networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Networks) -> str | None:
    """The client's address from the direct ``peer`` and the ``X-Forwarded-For`` header values, in order."""
    if peer is None:
        return None
    last_trusted = parse_address(peer)
    if last_trusted is None or not _trusted(last_trusted, trusted):
        return str(last_trusted) if last_trusted is not None else peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # A trusted proxy wrote something unreadable: count under that proxy rather than believe anything
            # further left, which the client may have written.
            return str(last_trusted)
        if not _trusted(address, trusted):
            return str(address)
        last_trusted = address
    return str(last_trusted)  # every hop is a trusted proxy: the furthest one is as close to the client as we get


def request_client_address(request: Request, settings: Settings) -> str | None:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxy_networks())
