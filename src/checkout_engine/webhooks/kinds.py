"""Which provider event types the engine acts on: the one rule that both ingestion (queue a job or not) and
processing (dispatch) follow. Processing asks the provider for the payment's current state whatever the event
says, so an event type matters only if it is the provider's word that something may have changed."""

from __future__ import annotations

PAYMENT_EVENTS = ("payment_intent.",)  # `created` included: see below
REFUND_EVENTS = ("charge.refund", "refund.")  # charge.refunded, charge.refund.updated, refund.*
DISPUTE_OPENED = "charge.dispute.created"
# `payment_intent.created` is acted on although it rarely changes anything: when a checkout dies after the provider
# made the intent and before we recorded it, that event is our only word that the intent exists, and processing it
# is what releases the intent of an order that ended meanwhile (tests/model: the died-after-creating case).


def acts_on(event_type: str) -> bool:
    return event_type.startswith(PAYMENT_EVENTS + REFUND_EVENTS) or event_type == DISPUTE_OPENED


def no_action_reason(event_type: str) -> str:
    return f"{event_type} cannot change an order"
