"""Turning a cart into an order with a frozen price, held stock and a payment intent, exactly once."""
