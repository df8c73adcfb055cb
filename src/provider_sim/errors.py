"""Stripe's error objects and the exception that carries one to the HTTP layer."""

from __future__ import annotations

import time
from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/"
REQUEST_LOG_URL = "https://dashboard.stripe.com/test/logs/"


class StripeApiError(Exception):
    """An error answered as `{"error": {...}}` with Stripe's status code.

    `replayable` marks errors Stripe stores under an idempotency key: those of a call whose execution began (a
    decline, a capture in the wrong state). Parameter validation happens before that, so its errors are not
    stored and a corrected retry with the same key is evaluated afresh. The simulator sets the flag on every
    error raised once an operation runs against the account (see `Simulator.executing`).
    """

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        replayable: bool = False,
        logged: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.extra = extra or {}
        self.replayable = replayable
        # Stripe links an error to its request log, except where no request was routed (an unknown URL).
        self.logged = logged

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """Stripe leaves absent fields out of an error (none of them is nullable in its spec)."""
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = DOC_URL + self.code.replace("_", "-")
        if self.param is not None:
            error["param"] = self.param
        if request_id is not None and self.logged:
            error["request_log_url"] = f"{REQUEST_LOG_URL}{request_id}?t={int(time.time())}"
        error.update({name: value for name, value in self.extra.items() if value is not None})
        return {"error": error}


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, param=param, code=code)


def resource_missing(kind: str, object_id: str, *, param: str | None = "id") -> StripeApiError:
    return StripeApiError(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def unexpected_state(message: str, extra: dict[str, Any] | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, code="payment_intent_unexpected_state", extra=extra)


def authentication_failed(message: str) -> StripeApiError:
    return StripeApiError(401, "invalid_request_error", message)


def idempotency_error(message: str) -> StripeApiError:
    """A key reused for another endpoint or other parameters: `stripe.IdempotencyError` in the library."""
    return StripeApiError(400, "idempotency_error", message)


def idempotency_key_in_use() -> StripeApiError:
    """A key whose first request is still running. Stripe's error-code reference lists it as a request error of
    its own code, not as an `idempotency_error` (that type is for a key reused with other parameters)."""
    return StripeApiError(
        409,
        "invalid_request_error",
        "There is currently another in-progress request using this Stripe API key and idempotency key. "
        "Please try again later.",
        code="idempotency_key_in_use",
    )


def api_error() -> StripeApiError:
    return StripeApiError(500, "api_error", "An unknown error occurred. Retrying the request may help.")


def unrecognized_url(method: str, path: str) -> StripeApiError:
    hint = ""
    if path.endswith("/"):
        hint = (
            " If you are trying to list objects, remove the trailing slash. If you are trying to retrieve an object,"
            " make sure you passed a valid (non-empty) identifier in your code."
        )
    return StripeApiError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}).{hint} Please see https://stripe.com/docs or we can help at "
        "https://support.stripe.com/.",
        logged=False,
    )
