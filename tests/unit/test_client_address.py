"""Whose address a request is counted under: the peer's, unless a trusted proxy vouches for the client behind it."""

import pytest

from checkout_engine.api.client_address import client_address, parse_address
from checkout_engine.settings import Settings, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 192.0.2.10, 2001:db8:ffff::/48")


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    assert client_address("203.0.113.5", ["198.51.100.1"], ()) == "203.0.113.5"


def test_an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for() -> None:
    assert client_address("203.0.113.5", ["198.51.100.1, 10.0.0.2"], PROXIES) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client() -> None:
    assert client_address("10.0.0.2", ["198.51.100.7"], PROXIES) == "198.51.100.7"


def test_addresses_the_client_wrote_left_of_the_proxys_entry_are_ignored() -> None:
    assert client_address("10.0.0.2", ["1.1.1.1, 8.8.8.8, 198.51.100.7"], PROXIES) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    header = ["6.6.6.6, 198.51.100.7, 10.9.9.9", "192.0.2.10"]  # two header lines read as one list
    assert client_address("10.0.0.2", header, PROXIES) == "198.51.100.7"


def test_a_trusted_peer_without_the_header_is_itself_the_client() -> None:
    assert client_address("10.0.0.2", [], PROXIES) == "10.0.0.2"


def test_when_every_hop_is_trusted_the_furthest_one_is_the_client() -> None:
    assert client_address("10.0.0.2", ["10.1.1.1, 10.2.2.2"], PROXIES) == "10.1.1.1"


def test_an_unreadable_entry_from_a_trusted_proxy_counts_under_that_proxy() -> None:
    assert client_address("10.0.0.2", ["198.51.100.7, not-an-ip"], PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", ["198.51.100.7, not-an-ip, 10.3.3.3"], PROXIES) == "10.3.3.3"


def test_ipv6_peers_and_hops_are_understood() -> None:
    assert client_address("2001:db8:ffff::1", ["2001:db8:1::5"], PROXIES) == "2001:db8:1::5"
    assert client_address("2001:db8:1::5", ["198.51.100.7"], PROXIES) == "2001:db8:1::5"


def test_a_peer_that_is_no_ip_address_is_counted_as_it_is() -> None:
    assert client_address("testclient", ["198.51.100.7"], PROXIES) == "testclient"
    assert client_address(None, ["198.51.100.7"], PROXIES) is None


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7:5123 ", "198.51.100.7"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("unknown", None),
        ("[2001:db8::1", None),
        ("", None),
    ],
)
def test_addresses_are_read_as_proxies_write_them(written: str, address: str | None) -> None:
    parsed = parse_address(written)
    assert (str(parsed) if parsed else None) == address


def test_trusted_proxies_are_read_from_the_setting_and_a_bad_entry_is_refused_at_start_up() -> None:
    assert Settings(trusted_proxies="").trusted_proxy_networks() == ()
    assert [str(n) for n in Settings(trusted_proxies="10.0.0.1, 172.16.0.0/12").trusted_proxy_networks()] == [
        "10.0.0.1/32",
        "172.16.0.0/12",
    ]
    with pytest.raises(ValueError, match="CHECKOUT_TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.1, proxy.internal")
