"""The one place that maps errors to HTTP statuses and the contract's error shape:
``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from checkout_engine.api import params
from checkout_engine.api.text_input import PROBLEM
from checkout_engine.errors import CheckoutError, TooManyRequests, error_body, http_status

log = structlog.get_logger(__name__)

# A schema error on one of these fields answers with the field's own code, as the contract names them.
FIELD_ERROR_CODES = {"quantity": "invalid_quantity", "currency": "invalid_currency", "country": "invalid_country"}

# What a 405's Allow header may name: the methods the API's routes use (HEAD is served wherever GET is).
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 413: "body_too_large"}


def _on_checkout_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CheckoutError)
    headers = {}
    if isinstance(error, TooManyRequests) and "retry_after_seconds" in error.details:
        headers["Retry-After"] = str(error.details["retry_after_seconds"])
    return JSONResponse(
        error_body(error.code, error.message, error.details), status_code=http_status(error), headers=headers
    )


def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    for item in error.errors():
        answer = params.refusal(tuple(item["loc"]), item.get("input"))
        if answer is not None:  # the first parameter with an answer of its own decides, as a handler would
            return _on_checkout_error(request, answer)
    problems = [
        {
            "field": ".".join(str(part) for part in item["loc"] if part != "body"),
            "problem": item["msg"],
            "type": item["type"],
        }
        for item in error.errors()
    ]
    if any(item["type"] == "json_invalid" for item in error.errors()):
        return JSONResponse(error_body("malformed_json", "The request body is not valid JSON."), status_code=400)
    if any(item["type"] == "invalid_characters" for item in error.errors()):
        where = [item["ctx"]["field"] for item in error.errors() if item["type"] == "invalid_characters"]
        message = f"{where[0]} {PROBLEM}."
        return JSONResponse(error_body("invalid_characters", message, {"fields": where}), status_code=422)
    fields = {problem["field"].split(".")[-1] for problem in problems}
    code = FIELD_ERROR_CODES.get(next(iter(fields)), "validation_error") if len(fields) == 1 else "validation_error"
    message = "; ".join(f"{p['field'] or 'body'}: {p['problem']}" for p in problems[:5])
    return JSONResponse(error_body(code, message, {"errors": problems}), status_code=422)


def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = HTTP_CODES.get(error.status_code, "http_error")
    headers = dict(getattr(error, "headers", None) or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return JSONResponse(error_body(code, str(error.detail)), status_code=error.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (the router names only the first route whose path matched):
    each method asked of the routes as the router itself would ask, included routers among them."""
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _on_data_error(request: Request, error: Exception) -> JSONResponse:
    """A value the database cannot store (PostgreSQL refuses NUL characters in text) is bad input: the unit of work
    rolled back, so nothing was stored."""
    assert isinstance(error, sa.exc.DataError)
    if "NUL" not in str(error.orig):
        return _on_unexpected(request, error)
    # text_input refuses NUL before any handler runs; this is the last line of defence, not the rule.
    message = "The request contains a NUL character, which no field or id may hold."
    return JSONResponse(error_body("invalid_characters", message), status_code=422)


def _on_unexpected(_: Request, error: Exception) -> JSONResponse:
    # Given, not taken from the context: the handler runs after the except block that caught it has ended.
    log.error("unhandled_error", error_type=type(error).__name__, exc_info=error)
    return JSONResponse(
        error_body("internal_error", "Something went wrong on our side; it has been logged."), status_code=500
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(CheckoutError, _on_checkout_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(sa.exc.DataError, _on_data_error)
    app.add_exception_handler(Exception, _on_unexpected)
