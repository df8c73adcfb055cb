"""The `/v1/payment_intents` endpoints: Stripe's parameters read and checked, then handed to the simulator.

Everything refused here is parameter validation (Stripe stores nothing under the idempotency key for it); what the
simulator refuses once it runs is stored and replayed."""

from __future__ import annotations

from provider_sim import param_specs as documented
from provider_sim.currencies import check_charge_amount, checked_currency
from provider_sim.errors import invalid_request
from provider_sim.listing import list_object
from provider_sim.objects import JsonObject
from provider_sim.params import Params
from provider_sim.payment_intents import ConfirmOptions, IntentSpec
from provider_sim.pipeline import ApiCall
from provider_sim.search import parse_query
from provider_sim.simulator import CaptureSpec, Simulator

INTENT_EXPANDABLE = ("latest_charge",)
SEARCHABLE_INTENT_FIELDS = frozenset({"amount", "created", "currency", "customer", "metadata", "status"})
CAPTURE_METHODS = frozenset({"automatic", "automatic_async", "manual"})
# Since 2024-04-10 an intent created without a capture method captures asynchronously.
DEFAULT_CAPTURE_METHOD = "automatic_async"
CANCELLATION_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})
SETUP_FUTURE_USAGE = frozenset({"on_session", "off_session"})
REDIRECT_POLICIES = frozenset({"always", "never"})
# The only payment method type of the simulated account.
SUPPORTED_TYPES = ("card",)
_ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


def on_items(expandable: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"data.{name}" for name in expandable)


def _payment_method_settings(params: Params) -> tuple[JsonObject | None, tuple[str, ...]]:
    """`automatic_payment_methods` as the intent will carry it, and the types it can use. Without any setting
    (since 2023-08-16) dynamic payment methods are on, redirects allowed."""
    automatic = params.nested("automatic_payment_methods")
    allowed = params.string_list("allowed_payment_method_types")
    excluded = params.string_list("excluded_payment_method_types") or []
    if allowed is not None and (automatic is not None or excluded or params.has("payment_method_configuration")):
        raise invalid_request(
            "You cannot combine `allowed_payment_method_types` with `automatic_payment_methods`, "
            "`excluded_payment_method_types` or `payment_method_configuration`.",
            param="allowed_payment_method_types",
        )
    if allowed is not None:
        types = tuple(kind for kind in SUPPORTED_TYPES if kind in allowed)
        if not types:
            raise invalid_request(
                "None of the `allowed_payment_method_types` can be used for this payment.",
                param="allowed_payment_method_types",
            )
        return None, types
    settings = Params(dict(automatic or {}))
    settings.reject_unknown({"enabled", "allow_redirects"})
    if settings.boolean("enabled") is False:
        raise invalid_request(
            "Set `automatic_payment_methods[enabled]` to true, or name the types in `allowed_payment_method_types`.",
            param="automatic_payment_methods[enabled]",
        )
    redirects = settings.choice("allow_redirects", REDIRECT_POLICIES) or "always"
    types = tuple(kind for kind in SUPPORTED_TYPES if kind not in excluded)
    if not types:
        raise invalid_request(
            "No payment method types are left once `excluded_payment_method_types` are removed.",
            param="excluded_payment_method_types",
        )
    return {"allow_redirects": redirects, "enabled": True}, types


def _shipping(params: Params) -> JsonObject | None:
    raw = params.nested("shipping")
    if raw is None:
        return None
    shipping = Params(dict(raw))
    shipping.reject_unknown({"address", "carrier", "name", "phone", "tracking_number"})
    address = Params(dict(shipping.nested("address") or {}))
    address.reject_unknown(_ADDRESS_FIELDS)
    return {
        "address": {name: address.string(name) for name in _ADDRESS_FIELDS},
        "carrier": shipping.string("carrier"),
        "name": shipping.required_string("name"),
        "phone": shipping.string("phone"),
        "tracking_number": shipping.string("tracking_number"),
    }


def _amount(params: Params, currency: str, name: str = "amount", *, required: bool = False) -> int | None:
    amount = params.integer(name, required=required)
    if amount is not None:
        check_charge_amount(amount, currency, name)
    return amount


def _confirm_options(call: ApiCall) -> ConfirmOptions:
    params = call.params
    return ConfirmOptions(
        payment_method=params.string("payment_method"),
        return_url=params.string("return_url"),
        off_session=params.boolean("off_session") or False,
        capture_method=params.choice("capture_method", CAPTURE_METHODS),
        receipt_email=params.string("receipt_email"),
        setup_future_usage=params.choice("setup_future_usage", SETUP_FUTURE_USAGE),
        base_url=call.base_url,
    )


def create_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.CREATE_INTENT)
    currency = checked_currency(params.required_string("currency"))
    amount = _amount(params, currency, required=True)
    assert amount is not None
    automatic, types = _payment_method_settings(params)
    spec = IntentSpec(
        amount=amount,
        currency=currency,
        capture_method=params.choice("capture_method", CAPTURE_METHODS) or DEFAULT_CAPTURE_METHOD,
        metadata=params.metadata(),
        description=params.string("description"),
        payment_method=params.string("payment_method"),
        automatic_payment_methods=automatic,
        payment_method_types=types,
        receipt_email=params.string("receipt_email"),
        setup_future_usage=params.choice("setup_future_usage", SETUP_FUTURE_USAGE),
        shipping=_shipping(params),
        statement_descriptor=params.string("statement_descriptor"),
        statement_descriptor_suffix=params.string("statement_descriptor_suffix"),
        transfer_group=params.string("transfer_group"),
    )
    if params.has("return_url") and not params.boolean("confirm"):
        raise invalid_request("You can only pass `return_url` when `confirm=true`.", param="return_url")
    confirm = _confirm_options(call) if params.boolean("confirm") else None
    return sim.create_payment_intent(
        spec, confirm, call.request, params.expand(INTENT_EXPANDABLE), customer=params.string("customer")
    )


def update_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.UPDATE_INTENT)
    intent_id = call.path_params["id"]
    changes: JsonObject = {}
    if params.has("currency"):
        changes["currency"] = checked_currency(params.required_string("currency"))
    if params.has("amount"):
        currency = changes.get("currency") or sim.payment_intent(intent_id).currency
        changes["amount"] = _amount(params, currency, required=True)
    if params.has("metadata"):
        updates, clear = params.metadata_changes()
        current = {} if clear else dict(sim.payment_intent(intent_id).metadata)
        for key, value in updates.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        changes["metadata"] = current
    for name in ("description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix"):
        if params.has(name):
            changes[name] = params.string(name)
    if params.has("transfer_group"):
        changes["transfer_group"] = params.string("transfer_group")
    if params.has("setup_future_usage"):
        changes["setup_future_usage"] = params.choice("setup_future_usage", SETUP_FUTURE_USAGE)
    if params.has("capture_method"):
        changes["capture_method"] = params.choice("capture_method", CAPTURE_METHODS)
    if params.has("shipping"):
        changes["shipping"] = _shipping(params)
    if params.has("payment_method"):
        changes["payment_method"] = params.required_string("payment_method")
    return sim.update_payment_intent(intent_id, changes, params.string("customer"), params.expand(INTENT_EXPANDABLE))


def retrieve_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    call.params.reject_unknown(documented.RETRIEVE_INTENT)
    return sim.retrieve("pi", call.path_params["id"], call.params.expand(INTENT_EXPANDABLE))


def list_payment_intents(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.LIST_INTENTS)
    data, has_more = sim.list_payment_intents(
        params.page_request(), params.created_range(), params.expand(on_items(INTENT_EXPANDABLE))
    )
    if params.string("customer") is not None:
        data, has_more = [], False  # the account has no customers, so none has intents
    return list_object("/v1/payment_intents", data, has_more)


def search_payment_intents(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.SEARCH_INTENTS)
    query = parse_query(params.required_string("query"), SEARCHABLE_INTENT_FIELDS)
    limit = params.page_request().limit
    page = params.string("page")
    offset = int(page.removeprefix("page_")) if page and page.removeprefix("page_").isdigit() else 0
    params.expand(on_items(()))
    data, has_more = sim.search_payment_intents(query, limit, offset)
    return {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": f"page_{offset + limit}" if has_more else None,
        "url": "/v1/payment_intents/search",
    }


def confirm_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.CONFIRM_INTENT)
    intent_id = call.path_params["id"]
    given_secret = params.string("client_secret")
    if given_secret is not None and given_secret != sim.client_secret(intent_id):
        raise invalid_request("The client_secret provided does not match this PaymentIntent.", param="client_secret")
    return sim.confirm_payment_intent(intent_id, _confirm_options(call), call.request, params.expand(INTENT_EXPANDABLE))


def capture_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.CAPTURE_INTENT)
    amount = params.integer("amount_to_capture", minimum=1)
    params.boolean("final_capture")  # one capture per intent here, so every capture is final
    capture = CaptureSpec(
        amount=amount,
        metadata=params.metadata() or None,
        statement_descriptor=params.string("statement_descriptor"),
        statement_descriptor_suffix=params.string("statement_descriptor_suffix"),
    )
    return sim.capture_payment_intent(call.path_params["id"], capture, call.request, params.expand(INTENT_EXPANDABLE))


def cancel_payment_intent(sim: Simulator, call: ApiCall) -> JsonObject:
    params = call.params
    params.reject_unknown(documented.CANCEL_INTENT)
    reason = params.choice("cancellation_reason", CANCELLATION_REASONS)
    return sim.cancel_payment_intent(call.path_params["id"], reason, call.request, params.expand(INTENT_EXPANDABLE))
