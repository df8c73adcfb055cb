"""A Stripe-compatible payment provider simulator."""
