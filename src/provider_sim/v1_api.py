"""The `/v1` endpoints the simulator serves, each with the module that reads its parameters."""

from __future__ import annotations

from provider_sim.pipeline import Endpoint
from provider_sim.v1_intents import (
    cancel_payment_intent,
    capture_payment_intent,
    confirm_payment_intent,
    create_payment_intent,
    list_payment_intents,
    retrieve_payment_intent,
    search_payment_intents,
    update_payment_intent,
)
from provider_sim.v1_reads import list_charges, list_events, retrieve_charge, retrieve_event
from provider_sim.v1_refunds import cancel_refund, create_refund, list_refunds, retrieve_refund, update_refund

ENDPOINTS = (
    Endpoint("POST", "/v1/payment_intents", create_payment_intent),
    Endpoint("GET", "/v1/payment_intents", list_payment_intents),
    Endpoint("GET", "/v1/payment_intents/search", search_payment_intents),
    Endpoint("GET", "/v1/payment_intents/{id}", retrieve_payment_intent),
    Endpoint("POST", "/v1/payment_intents/{id}", update_payment_intent),
    Endpoint("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent, publishable_allowed=True),
    Endpoint("POST", "/v1/payment_intents/{id}/capture", capture_payment_intent),
    Endpoint("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent),
    Endpoint("POST", "/v1/refunds", create_refund),
    Endpoint("GET", "/v1/refunds", list_refunds),
    Endpoint("GET", "/v1/refunds/{id}", retrieve_refund),
    Endpoint("POST", "/v1/refunds/{id}", update_refund),
    Endpoint("POST", "/v1/refunds/{id}/cancel", cancel_refund),
    Endpoint("GET", "/v1/charges", list_charges),
    Endpoint("GET", "/v1/charges/{id}", retrieve_charge),
    Endpoint("GET", "/v1/events", list_events),
    Endpoint("GET", "/v1/events/{id}", retrieve_event),
)
