"""Outgoing webhooks: events about orders, written with the change that caused them, signed and delivered at least
once to the endpoints the shop registered."""
