"""Path and header parameters, each declared once with its real pattern: the OpenAPI description states it, and a
value that breaks it is refused before any query runs.

A path id or capability that does not match its pattern names nothing, so it gets the same 404 as one that matches
and is unknown: the answer tells nothing about what ids look like to someone guessing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Path
from fastapi.security import HTTPBearer

from checkout_engine.admin.queries import MAX_ROW_ID, invalid_cursor
from checkout_engine.catalog.model import SKU_PATTERN, check_code, check_sku, countries
from checkout_engine.errors import CheckoutError, NotFound
from checkout_engine.fulfillment.service import GRANT_TOKEN_BYTES
from checkout_engine.idempotency.model import MAX_KEY_LENGTH, check_key
from checkout_engine.ids import id_pattern, token_pattern
from checkout_engine.orders.service import ORDER_TOKEN_BYTES

EXAMPLE_CART_ID = "cart_" + "k" * 32
EXAMPLE_ORDER_ID = "ord_" + "q" * 32

CartId = Annotated[
    str, Path(pattern=id_pattern("cart"), description="The cart's id: its capability.", examples=[EXAMPLE_CART_ID])
]
OrderId = Annotated[str, Path(pattern=id_pattern("ord"), examples=[EXAMPLE_ORDER_ID])]
ApprovalId = Annotated[str, Path(pattern=id_pattern("apr"), examples=["apr_" + "a" * 32])]
GrantToken = Annotated[
    str, Path(pattern=token_pattern(GRANT_TOKEN_BYTES), description="The download grant from the order view.")
]
Sku = Annotated[str, Path(pattern=f"^{SKU_PATTERN.pattern}$", examples=["SHIRT-M"])]
Code = Annotated[str, Path(pattern=f"^{SKU_PATTERN.pattern}$", description="A coupon or shipping-method code.")]
CountryCode = Annotated[
    str,
    Path(
        pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, upper case.", json_schema_extra={"enum": [*countries()]}
    ),
]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]  # beyond a BIGINT there is no row
# Our row id or the provider's event id, as an operator reads it in the provider's dashboard.
EventReference = Annotated[str, Path(pattern=r"^([1-9][0-9]{0,17}|evt_[A-Za-z0-9_]{1,100})$")]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=r"^[ -~]+$",  # printable ASCII; check_key is the rule
        description="Makes the call safe to retry: the same key and body answer the first response again.",
        examples=["9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"],
    ),
]
OrderToken = Annotated[
    str,
    Header(
        alias="X-Order-Token",
        pattern=token_pattern(ORDER_TOKEN_BYTES),
        description="The order token from the checkout answer: the customer's capability to see the order.",
    ),
]

# The admin API's credentials, as the OpenAPI description's security scheme; the check itself is deps._principal.
bearer_key = HTTPBearer(auto_error=False, scheme_name="admin_api_key", description="An admin API key.")


def _not_found(code: str, message: str) -> Callable[[object], CheckoutError]:
    return lambda _: NotFound(message, code=code)


def _by_rule(rule: Callable[[str], object]) -> Callable[[object], CheckoutError | None]:
    """The answer of the rule's own home (it raises what the contract names), so that the rule lives in one place."""

    def answer(value: object) -> CheckoutError | None:
        try:
            rule(value if isinstance(value, str) else "")
        except CheckoutError as error:
            return error
        return None

    return answer


NO_SUCH_ORDER = _not_found("order_not_found", "No such order.")
# Where FastAPI reports a parameter (`loc[0]`, `loc[1]` lower-cased) -> the answer to a value its declaration refused.
REFUSALS: dict[tuple[str, str], Callable[[object], CheckoutError | None]] = {
    ("path", "cart_id"): _not_found("cart_not_found", "No such cart."),
    ("path", "order_id"): NO_SUCH_ORDER,
    ("header", "x-order-token"): NO_SUCH_ORDER,
    ("path", "grant_token"): _not_found("download_not_found", "No such download."),
    ("path", "event_id"): _not_found("webhook_event_not_found", "No such webhook event."),
    ("path", "job_id"): _not_found("job_not_found", "No such job."),
    ("path", "finding_id"): _not_found("finding_not_found", "No open finding with this id."),
    ("path", "sku"): _by_rule(check_sku),
    ("path", "code"): _by_rule(lambda code: check_code(code, what="coupon or shipping-method")),
    ("header", "idempotency-key"): _by_rule(lambda key: check_key(key or None)),
    ("query", "cursor"): lambda _: invalid_cursor(),  # only ever one of our next_cursor values
}


def refusal(location: tuple[int | str, ...], value: object) -> CheckoutError | None:
    """The contract's answer to a parameter that failed its declaration, where it has one of its own."""
    if len(location) < 2:
        return None
    answer = REFUSALS.get((str(location[0]), str(location[1]).lower()))
    return answer(value) if answer is not None else None
