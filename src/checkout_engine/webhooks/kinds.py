"""Which provider event types the engine acts on: the one rule that both ingestion (queue a job or not) and
processing (dispatch) follow. Processing asks the provider for the payment's current state whatever the event
says, so an event type matters only if it is the provider's word that something may have changed."""

from __future__ import annotations

PAYMENT_EVENTS = ("payment_intent.",)
REFUND_EVENTS = ("charge.refund", "refund.")  # charge.refunded, charge.refund.updated, refund.*
DISPUTE_OPENED = "charge.dispute.created"
# A new intent cannot change an order: the checkout that made it records it. One whose checkout died before
# recording it is found by its reference and released when the resumed checkout gives up or the order expires
# (both queue that), so its `created` event, one for every checkout, costs no job and no provider read.
INTENT_CREATED = "payment_intent.created"


def acts_on(event_type: str) -> bool:
    if event_type == INTENT_CREATED:
        return False
    return event_type.startswith(PAYMENT_EVENTS + REFUND_EVENTS) or event_type == DISPUTE_OPENED


def no_action_reason(event_type: str) -> str:
    return f"{event_type} cannot change an order"
