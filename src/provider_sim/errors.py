"""Stripe's error objects and the exception that carries one to the HTTP layer."""

from __future__ import annotations

from typing import Any


class StripeApiError(Exception):
    """An error answered as `{"error": {...}}` with Stripe's status code.

    `replayable` marks errors Stripe stores under an idempotency key (the call ran, e.g. a decline);
    validation errors are not stored, so a corrected retry with the same key is evaluated afresh.
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
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.extra = extra or {}
        self.replayable = replayable

    def body(self) -> dict[str, Any]:
        error = {"type": self.type, "code": self.code, "message": self.message, "param": self.param}
        return {"error": {**error, **self.extra}}


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, param=param, code=code)


def resource_missing(kind: str, object_id: str, *, param: str = "id") -> StripeApiError:
    return StripeApiError(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def unexpected_state(message: str, extra: dict[str, Any] | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, code="payment_intent_unexpected_state", extra=extra)


def authentication_failed(message: str) -> StripeApiError:
    return StripeApiError(401, "invalid_request_error", message)


def idempotency_error(message: str, *, status: int = 400) -> StripeApiError:
    return StripeApiError(status, "idempotency_error", message)


def api_error() -> StripeApiError:
    return StripeApiError(500, "api_error", "An unknown error occurred. Retrying the request may help.")


def unrecognized_url(method: str, path: str) -> StripeApiError:
    return StripeApiError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs.",
    )
