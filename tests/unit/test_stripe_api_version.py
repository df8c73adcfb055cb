"""The Stripe adapter names its API version instead of inheriting whatever the library was generated for."""

from stripe._api_version import _ApiVersion

from checkout_engine.payments.providers.stripe import API_VERSION


def test_the_pinned_api_version_is_the_one_the_pinned_library_speaks() -> None:
    # Upgrading `stripe` in constraints.txt moves the library's version: move this one on purpose, with the
    # simulator (provider_sim.config.API_VERSION) and a read of Stripe's changelog in between.
    assert API_VERSION == _ApiVersion.CURRENT
