"""What the OpenAPI description says each operation can answer besides success: the contract's error object under
every status it uses, with the codes a client meets there. Routers declare the answers all their operations share,
routes add their own; a client generated from ``/openapi.json`` then has a type for every answer it can get."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorObject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Stable, snake_case: what a program branches on.")
    message: str = Field(description="A sentence for a person.")
    details: dict[str, Any] = Field(description="What the code is about (fields, amounts, ids); may be empty.")


class ErrorAnswer(BaseModel):
    """Every error the API gives has this shape."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorObject


WHAT = {
    400: "Malformed: the URL, the JSON or a required header is not what it must be.",
    401: "No admin API key, or one that is not valid.",
    403: "The API key's role does not allow this.",
    404: "Not found (a wrong or malformed id or token is the same answer).",
    409: "The request clashes with the current state.",
    413: "The request body is too large.",
    422: "Well-formed, but breaks a rule.",
    429: "Too many attempts: wait as long as Retry-After says.",
    502: "The payment provider refused or failed in a way we cannot retry for you.",
    503: "The payment provider did not answer; the same request with the same Idempotency-Key may be retried.",
}
EXAMPLE_CODES = {
    400: "malformed_json",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "body_too_large",
    422: "validation_error",
    429: "too_many_attempts",
    502: "provider_error",
    503: "provider_unavailable",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}

# Every operation: the URL is checked before routing (400 malformed, 422 characters no text may hold).
EVERY = (400, 422)
WITH_BODY = (400, 413, 422)
STAFF = (401, 403)


def errors(*statuses: int, codes: dict[int, list[str]] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry for these error statuses; ``codes`` lists the codes a status may carry here."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted(set(statuses)):
        named = (codes or {}).get(status) or [EXAMPLE_CODES[status]]
        description = WHAT[status] + " Codes: " + ", ".join(f"`{code}`" for code in named) + "."
        example = {"error": {"code": named[0], "message": WHAT[status], "details": {}}}
        answer: dict[str, Any] = {
            "model": ErrorAnswer,
            "description": description,
            "content": {"application/json": {"example": example}},
        }
        if status == 429:
            answer["headers"] = RETRY_AFTER
        documented[status] = answer
    return documented


def page(description: str, id_parameter: str, operation_id: str) -> dict[str, Any]:
    """The 200 entry of a list: a page whose items' ``id`` fill ``id_parameter`` of the operation they lead to."""
    return {
        "description": description,
        "links": links({id_parameter: "$response.body#/data/0/id"}, operation_id),
    }


def links(parameters: dict[str, str], *operation_ids: str) -> dict[str, Any]:
    """OpenAPI links from an answer to the operations it names (by operation id, which is the route's function
    name), filling their ``parameters`` from the answer: what a client, or a stateful fuzzer, calls next."""
    return {operation: {"operationId": operation, "parameters": parameters} for operation in operation_ids}


# A list with a cursor: what a cursor it never gave, or a malformed URL, answers; and staff errors.
PAGED = errors(*EVERY, *STAFF, codes={400: ["invalid_cursor", "malformed_url"]})
