"""The one exception base of the product.

Every domain error carries a stable snake_case ``code``, a human sentence and optional details. The HTTP layer
maps the *kind* of error (the base classes below) to a status; the domain never mentions HTTP.
"""

from __future__ import annotations

from typing import Any


class CheckoutError(Exception):
    """Base of every error the product raises on purpose."""

    code = "checkout_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}


class BadRequest(CheckoutError):
    """The request itself is malformed (unparseable, missing a required header)."""

    code = "bad_request"


class Unauthenticated(CheckoutError):
    """No credentials, or credentials we do not recognise."""

    code = "unauthenticated"


class Forbidden(CheckoutError):
    """Recognised credentials whose role does not allow the action."""

    code = "forbidden"


class NotFound(CheckoutError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"


class Conflict(CheckoutError):
    """The request is valid but clashes with the current state (a lost race, a frozen cart...)."""

    code = "conflict"


class Invalid(CheckoutError):
    """Well-formed but breaks a rule (unknown SKU, bad quantity, expired coupon...)."""

    code = "invalid"


class TooManyRequests(CheckoutError):
    """The caller has hit a limit meant to stop abuse."""

    code = "too_many_attempts"


class PayloadTooLarge(CheckoutError):
    code = "body_too_large"


class Unavailable(CheckoutError):
    """A service we depend on did not answer; the same request may succeed if retried later."""

    code = "service_unavailable"


# The one table from kinds of error to HTTP statuses. Idempotency records store final answers as HTTP responses,
# so the mapping lives here rather than in the web layer.
STATUS_BY_KIND: tuple[tuple[type[CheckoutError], int], ...] = (
    (BadRequest, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (Invalid, 422),
    (TooManyRequests, 429),
    (Unavailable, 503),
)


def http_status(error: CheckoutError) -> int:
    return next((status for kind, status in STATUS_BY_KIND if isinstance(error, kind)), 502)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The contract's error shape."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(error: CheckoutError) -> tuple[int, dict[str, Any]]:
    return http_status(error), error_body(error.code, error.message, error.details)
