"""The request parameters Stripe documents for each operation at the pinned API version: the union of the published
spec (2023-08-16) and the pinned `stripe` library's typed parameters, less those removed since. A parameter not
listed is refused as `parameter_unknown`, as Stripe refuses it."""

from __future__ import annotations

from provider_sim.errors import StripeApiError, invalid_request

_LIST = frozenset({"created", "ending_before", "expand", "limit", "starting_after"})

CREATE_INTENT = frozenset(
    {
        "allowed_payment_method_types",
        "amount",
        "amount_details",
        "application_fee_amount",
        "automatic_payment_methods",
        "capture_method",
        "confirm",
        "confirmation_method",
        "confirmation_token",
        "currency",
        "customer",
        "customer_account",
        "description",
        "error_on_requires_action",
        "excluded_payment_method_types",
        "expand",
        "hooks",
        "mandate",
        "mandate_data",
        "metadata",
        "off_session",
        "on_behalf_of",
        "payment_details",
        "payment_method",
        "payment_method_configuration",
        "payment_method_data",
        "payment_method_options",
        "radar_options",
        "receipt_email",
        "return_url",
        "setup_future_usage",
        "shipping",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_data",
        "transfer_group",
        "use_stripe_sdk",
    }
)
UPDATE_INTENT = frozenset(
    {
        "allowed_payment_method_types",
        "amount",
        "amount_details",
        "application_fee_amount",
        "capture_method",
        "currency",
        "customer",
        "customer_account",
        "description",
        "excluded_payment_method_types",
        "expand",
        "hooks",
        "metadata",
        "payment_details",
        "payment_method",
        "payment_method_configuration",
        "payment_method_data",
        "payment_method_options",
        "receipt_email",
        "setup_future_usage",
        "shipping",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_data",
        "transfer_group",
    }
)
CONFIRM_INTENT = frozenset(
    {
        "allowed_payment_method_types",
        "amount_details",
        "amount_to_confirm",
        "capture_method",
        # Not in the library's typed parameters (a server-side client has no use for it) but sent by Stripe.js.
        "client_secret",
        "confirmation_token",
        "error_on_requires_action",
        "excluded_payment_method_types",
        "expand",
        "hooks",
        "mandate",
        "mandate_data",
        "off_session",
        "payment_details",
        "payment_method",
        "payment_method_data",
        "payment_method_options",
        "radar_options",
        "receipt_email",
        "return_url",
        "setup_future_usage",
        "shipping",
        "use_stripe_sdk",
    }
)
CAPTURE_INTENT = frozenset(
    {
        "amount_details",
        "amount_to_capture",
        "application_fee_amount",
        "expand",
        "final_capture",
        "hooks",
        "metadata",
        "payment_details",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_data",
    }
)
CANCEL_INTENT = frozenset({"cancellation_reason", "expand"})
RETRIEVE_INTENT = frozenset({"client_secret", "expand"})
LIST_INTENTS = _LIST | {"customer", "customer_account"}
SEARCH_INTENTS = frozenset({"expand", "limit", "page", "query"})
CREATE_REFUND = frozenset(
    {
        "amount",
        "charge",
        "currency",
        "customer",
        "expand",
        "instructions_email",
        "metadata",
        "origin",
        "payment_intent",
        "reason",
        "refund_application_fee",
        "reverse_transfer",
    }
)
UPDATE_REFUND = frozenset({"expand", "metadata"})
CANCEL_REFUND = frozenset({"expand"})
RETRIEVE = frozenset({"expand"})
LIST_REFUNDS = _LIST | {"charge", "payment_intent"}
LIST_CHARGES = _LIST | {"customer", "payment_intent", "transfer_group"}
LIST_EVENTS = _LIST | {"delivery_success", "type", "types"}

# Removed from PaymentIntent create, update and confirm by 2026-09-30.endive (the pinned version is later).
REMOVED = frozenset({"payment_method_types"})


def removed_parameter(name: str, api_version: str) -> StripeApiError:
    return invalid_request(
        f"The `{name}` parameter is no longer supported on API version {api_version}. Use "
        "`allowed_payment_method_types` or `excluded_payment_method_types`, or let dynamic payment methods choose.",
        param=name,
        code="payment_method_types_no_longer_supported",
    )
