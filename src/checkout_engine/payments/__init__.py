"""Payment attempts and the provider-neutral interface to the payment provider."""
