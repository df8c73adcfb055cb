"""The read-only `/v1` endpoints: charges and events."""

from __future__ import annotations

from provider_sim import param_specs as documented
from provider_sim.listing import list_object
from provider_sim.objects import JsonObject
from provider_sim.pipeline import ApiCall
from provider_sim.simulator import Simulator
from provider_sim.v1_intents import on_items

CHARGE_EXPANDABLE = ("payment_intent",)


def retrieve_charge(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown(documented.RETRIEVE)
    return sim.retrieve("ch", call.path_params["id"], call.params.expand(CHARGE_EXPANDABLE))


def list_charges(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.LIST_CHARGES)
    data, has_more = sim.list_charges(
        params.page_request(),
        params.created_range(),
        params.string("payment_intent"),
        params.string("transfer_group"),
        params.expand(on_items(CHARGE_EXPANDABLE)),
    )
    if params.string("customer") is not None:
        data, has_more = [], False  # the account has no customers, so none has charges
    return list_object("/v1/charges", data, has_more)


def retrieve_event(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown(documented.RETRIEVE)
    call.params.expand(())  # nothing on an event can be expanded
    return sim.retrieve("evt", call.path_params["id"])


def list_events(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.LIST_EVENTS)
    params.expand(())
    types = params.string_list("types") or []
    params.boolean("delivery_success")
    event_type = params.string("type")
    wanted = [*types, event_type] if event_type else types
    data, has_more = sim.list_events(params.page_request(), params.created_range(), wanted)
    return list_object("/v1/events", data, has_more)
