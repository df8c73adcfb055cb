"""The `/v1` endpoints: Stripe's parameters read and checked, then handed to the simulator."""

from __future__ import annotations

from provider_sim.errors import invalid_request
from provider_sim.listing import list_object
from provider_sim.objects import JsonObject
from provider_sim.params import Params
from provider_sim.payment_intents import IntentSpec
from provider_sim.pipeline import ApiCall, Endpoint
from provider_sim.refunds import REFUND_REASONS, RefundSpec
from provider_sim.search import parse_query
from provider_sim.simulator import RefundTarget, Simulator

MAX_AMOUNT = 99_999_999
INTENT_EXPANDABLE = ("latest_charge",)
REFUND_EXPANDABLE = ("charge", "payment_intent")
SEARCHABLE_INTENT_FIELDS = frozenset({"amount", "created", "currency", "customer", "metadata", "status"})
CAPTURE_METHODS = frozenset({"automatic", "automatic_async", "manual"})
CANCELLATION_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})
# Accepted as Stripe accepts them; the simulator has no behaviour attached to them.
_INERT_INTENT_PARAMS = frozenset(
    {
        "automatic_payment_methods",
        "confirmation_method",
        "customer",
        "error_on_requires_action",
        "mandate_data",
        "off_session",
        "payment_method_options",
        "payment_method_types",
        "receipt_email",
        "return_url",
        "setup_future_usage",
        "shipping",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "use_stripe_sdk",
    }
)
_CREATE_PARAMS = _INERT_INTENT_PARAMS | {
    "amount",
    "currency",
    "metadata",
    "capture_method",
    "payment_method",
    "confirm",
    "description",
}
_CONFIRM_PARAMS = _INERT_INTENT_PARAMS | {"payment_method", "client_secret", "capture_method"}
_LIST_PARAMS = {"limit", "starting_after", "ending_before", "created"}


def _on_items(expandable: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"data.{name}" for name in expandable)


def _amount(params: Params, name: str, *, required: bool = False) -> int | None:
    amount = params.integer(name, required=required, minimum=1)
    if amount is not None and amount > MAX_AMOUNT:
        raise invalid_request(f"Amount must be no more than {MAX_AMOUNT}", param=name, code="amount_too_large")
    return amount


def _currency(params: Params) -> str:
    currency = params.required_string("currency").lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid_request(f"Invalid currency: {currency}.", param="currency")
    return currency


def create_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(_CREATE_PARAMS)
    capture_method = params.choice("capture_method", CAPTURE_METHODS) or "automatic"
    amount = _amount(params, "amount", required=True)
    assert amount is not None
    spec = IntentSpec(
        amount=amount,
        currency=_currency(params),
        capture_method=capture_method,
        metadata=params.metadata(),
        description=params.string("description"),
        payment_method=params.string("payment_method"),
    )
    return sim.create_payment_intent(
        spec, params.boolean("confirm") or False, call.request, params.expand(INTENT_EXPANDABLE)
    )


def retrieve_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown({"client_secret"})
    return sim.retrieve("pi", call.path_params["id"], call.params.expand(INTENT_EXPANDABLE))


def list_payment_intents(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(_LIST_PARAMS | {"customer"})
    data, has_more = sim.list_payment_intents(
        params.page_request(), params.created_range(), params.expand(_on_items(INTENT_EXPANDABLE))
    )
    return list_object("/v1/payment_intents", data, has_more)


def search_payment_intents(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown({"query", "limit", "page"})
    query = parse_query(params.required_string("query"), SEARCHABLE_INTENT_FIELDS)
    limit = params.page_request().limit
    page = params.string("page")
    offset = int(page.removeprefix("page_")) if page and page.removeprefix("page_").isdigit() else 0
    data, has_more = sim.search_payment_intents(query, limit, offset)
    return {
        "object": "search_result",
        "url": "/v1/payment_intents/search",
        "has_more": has_more,
        "next_page": f"page_{offset + limit}" if has_more else None,
        "data": data,
    }


def confirm_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(_CONFIRM_PARAMS)
    intent_id = call.path_params["id"]
    given_secret = params.string("client_secret")
    if given_secret is not None and given_secret != sim.client_secret(intent_id):
        raise invalid_request("The client_secret provided does not match this PaymentIntent.", param="client_secret")
    return sim.confirm_payment_intent(
        intent_id, params.string("payment_method"), call.request, params.expand(INTENT_EXPANDABLE)
    )


def capture_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown({"amount_to_capture", "final_capture", "statement_descriptor", "statement_descriptor_suffix"})
    amount = _amount(params, "amount_to_capture")
    return sim.capture_payment_intent(call.path_params["id"], amount, call.request, params.expand(INTENT_EXPANDABLE))


def cancel_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown({"cancellation_reason"})
    reason = params.choice("cancellation_reason", CANCELLATION_REASONS)
    return sim.cancel_payment_intent(call.path_params["id"], reason, call.request, params.expand(INTENT_EXPANDABLE))


def create_refund(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(
        {
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "instructions_email",
            "refund_application_fee",
        }
    )
    target = RefundTarget(params.string("payment_intent"), params.string("charge"), params.expand(REFUND_EXPANDABLE))
    if (target.payment_intent is None) == (target.charge is None):
        raise invalid_request(
            "One of the following params should be provided for this request: payment_intent or charge.",
            param="payment_intent",
        )
    spec = RefundSpec(
        amount=_amount(params, "amount"),
        reason=params.choice("reason", REFUND_REASONS),
        metadata=params.metadata(),
    )
    return sim.create_refund(target, spec, call.request)


def retrieve_refund(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown(())
    return sim.retrieve("re", call.path_params["id"], call.params.expand(REFUND_EXPANDABLE))


def list_refunds(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(_LIST_PARAMS | {"payment_intent", "charge"})
    data, has_more = sim.list_refunds(
        params.page_request(),
        params.created_range(),
        params.string("payment_intent"),
        params.string("charge"),
        params.expand(_on_items(REFUND_EXPANDABLE)),
    )
    return list_object("/v1/refunds", data, has_more)


def retrieve_charge(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown(())
    return sim.retrieve("ch", call.path_params["id"], call.params.expand(("payment_intent",)))


def retrieve_event(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown(())
    call.params.expand(())  # nothing on an event can be expanded
    return sim.retrieve("evt", call.path_params["id"])


def list_events(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(_LIST_PARAMS | {"type", "types", "delivery_success"})
    params.expand(())
    types = params.values.get("types", [])
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or not all(isinstance(name, str) for name in types):
        raise invalid_request("Invalid types: must be an array of strings", param="types")
    event_type = params.string("type")
    wanted = [*types, event_type] if event_type else types
    data, has_more = sim.list_events(params.page_request(), params.created_range(), wanted)
    return list_object("/v1/events", data, has_more)


ENDPOINTS = (
    Endpoint("POST", "/v1/payment_intents", create_payment_intent),
    Endpoint("GET", "/v1/payment_intents", list_payment_intents),
    Endpoint("GET", "/v1/payment_intents/search", search_payment_intents),
    Endpoint("GET", "/v1/payment_intents/{id}", retrieve_payment_intent),
    Endpoint("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent, publishable_allowed=True),
    Endpoint("POST", "/v1/payment_intents/{id}/capture", capture_payment_intent),
    Endpoint("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent),
    Endpoint("POST", "/v1/refunds", create_refund),
    Endpoint("GET", "/v1/refunds", list_refunds),
    Endpoint("GET", "/v1/refunds/{id}", retrieve_refund),
    Endpoint("GET", "/v1/charges/{id}", retrieve_charge),
    Endpoint("GET", "/v1/events", list_events),
    Endpoint("GET", "/v1/events/{id}", retrieve_event),
)
