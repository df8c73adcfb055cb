"""The pure rules of coupon attempt limits: identities, windows and the refusal."""

from datetime import UTC, datetime, timedelta

import pytest

from checkout_engine.cart.attempts import Count, Scope, address_key, refuse_if_over, retry_after_seconds, scopes_for
from checkout_engine.errors import TooManyRequests

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_an_ipv4_address_is_counted_as_itself() -> None:
    assert address_key("198.51.100.7") == "198.51.100.7"


def test_every_address_of_one_ipv6_network_counts_as_one_client() -> None:
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::5") != address_key("2001:db8:1:2::5")


def test_a_non_ip_peer_is_counted_as_it_is_within_the_column_width() -> None:
    assert address_key("testclient") == "testclient"
    assert len(address_key("x" * 200)) == 64


def test_an_attempt_takes_the_address_counter_before_the_cart_counter() -> None:
    assert scopes_for("cart_1", "198.51.100.7") == [(Scope.ADDRESS, "198.51.100.7"), (Scope.CART, "cart_1")]
    assert scopes_for("cart_1", None) == [(Scope.CART, "cart_1")]


def test_retry_after_is_the_rest_of_the_window_in_whole_seconds_and_never_zero() -> None:
    assert retry_after_seconds(NOW - timedelta(seconds=100.5), NOW, 600) == 500
    assert retry_after_seconds(NOW - timedelta(seconds=600), NOW, 600) == 1


def test_failures_up_to_the_limit_pass_and_the_next_one_is_refused_with_its_wait() -> None:
    refuse_if_over(Count(Scope.ADDRESS, 5, NOW), limit=5, now=NOW, window_seconds=600)
    with pytest.raises(TooManyRequests) as refused:
        refuse_if_over(Count(Scope.CART, 6, NOW - timedelta(seconds=60)), limit=5, now=NOW, window_seconds=600)
    assert refused.value.code == "too_many_attempts"
    assert refused.value.details == {"retry_after_seconds": 540}
