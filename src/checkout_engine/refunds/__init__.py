"""Refunds: a record first, then an idempotent job that asks the provider, confirmed by the provider's word."""
