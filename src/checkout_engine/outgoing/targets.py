"""Where a delivery may go: never an open proxy into the shop's own network. Only http and https; a name must
resolve to public addresses only (private, loopback, link-local, metadata, multicast and reserved addresses are
refused) unless private targets are allowed; checked at registration and again at each delivery, which then
connects to the very address it checked."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from checkout_engine.errors import Invalid

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}


class TargetRefused(Invalid):
    code = "webhook_url_refused"


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: str  # the checked address the delivery connects to


def _refused(url: str, why: str) -> TargetRefused:
    return TargetRefused(f"This URL cannot receive webhooks: {why}.", details={"url": url[:200], "reason": why})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def check_form(url: str) -> tuple[str, str, int]:
    """The URL's scheme, host and port, or a refusal of its form (not resolved)."""
    if len(url) > MAX_URL_LENGTH:
        raise _refused(url, f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused(url, "not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise _refused(url, "only http and https are allowed")
    if not parts.hostname:
        raise _refused(url, "it names no host")
    if parts.username or parts.password:
        raise _refused(url, "credentials in the URL are not allowed; use the signing secret")
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def resolve(url: str, *, allow_private: bool) -> Target:
    scheme, host, port = check_form(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _refused(url, f"the host {host!r} does not resolve") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise _refused(url, f"the host {host!r} does not resolve")
    if not allow_private:
        inner = [address for address in addresses if not _is_public(address)]
        if inner:
            raise _refused(url, f"{host} resolves to a private, loopback or link-local address ({inner[0]})")
    return Target(url, scheme, host, port, addresses[0])
