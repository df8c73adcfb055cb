"""A property-based model of checkout-engine: random journeys through the real service layer (see
test_checkout_model.py), with the money invariants checked after every step."""
