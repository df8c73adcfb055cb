"""checkout-engine: a checkout backend that survives real-world failure."""
