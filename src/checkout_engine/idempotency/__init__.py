"""Idempotency keys with Stripe's semantics, and recovery points for requests that stop half-way."""
