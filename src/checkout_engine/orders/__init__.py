"""Orders: the business record, moved only through the explicit state machine in ``model``."""
