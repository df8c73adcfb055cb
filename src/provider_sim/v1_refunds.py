"""The `/v1/refunds` endpoints."""

from __future__ import annotations

from provider_sim import param_specs as documented
from provider_sim.currencies import checked_currency
from provider_sim.errors import invalid_request
from provider_sim.listing import list_object
from provider_sim.objects import JsonObject
from provider_sim.pipeline import ApiCall
from provider_sim.refunds import REFUND_REASONS, RefundSpec
from provider_sim.simulator import RefundTarget, Simulator
from provider_sim.v1_intents import on_items

REFUND_EXPANDABLE = ("charge", "payment_intent")
# Only refunds of customer-balance payments have another origin; card refunds go back to the card.
REFUND_ORIGINS = frozenset({"customer_balance"})


def create_refund(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.CREATE_REFUND)
    target = RefundTarget(params.string("payment_intent"), params.string("charge"), params.expand(REFUND_EXPANDABLE))
    if (target.payment_intent is None) == (target.charge is None):
        raise invalid_request(
            "One of the following params should be provided for this request: payment_intent or charge.",
            param="payment_intent",
        )
    if params.choice("origin", REFUND_ORIGINS) is not None:
        raise invalid_request(
            "A refund with `origin=customer_balance` needs a customer balance payment; this is a card payment.",
            param="origin",
        )
    params.boolean("refund_application_fee")
    params.boolean("reverse_transfer")
    currency = params.string("currency")
    spec = RefundSpec(
        amount=params.integer("amount", minimum=1),
        reason=params.choice("reason", REFUND_REASONS),
        metadata=params.metadata(),
        currency=None if currency is None else checked_currency(currency),
        instructions_email=params.string("instructions_email"),
    )
    return sim.create_refund(target, spec, call.request, customer=params.string("customer"))


def update_refund(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.UPDATE_REFUND)
    metadata, clear = params.metadata_changes()
    return sim.update_refund(call.path_params["id"], metadata, clear, call.request, params.expand(REFUND_EXPANDABLE))


def cancel_refund(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.CANCEL_REFUND)
    return sim.cancel_refund(call.path_params["id"], call.request, params.expand(REFUND_EXPANDABLE))


def retrieve_refund(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown(documented.RETRIEVE)
    return sim.retrieve("re", call.path_params["id"], call.params.expand(REFUND_EXPANDABLE))


def list_refunds(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.LIST_REFUNDS)
    data, has_more = sim.list_refunds(
        params.page_request(),
        params.created_range(),
        params.string("payment_intent"),
        params.string("charge"),
        params.expand(on_items(REFUND_EXPANDABLE)),
    )
    return list_object("/v1/refunds", data, has_more)
