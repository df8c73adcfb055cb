"""Holds the simulator's `/v1` exchanges, as its journal records them (src/provider_sim/journal.py), to Stripe's
published API (the carried part of it in stripe_spec/): each answer against the response schema of its operation
and status, each parameter the client sent against the operation's documented parameters.

    mismatches = check_journal(Path(journal_dir))
    print(report(mismatches))
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import stripe
import stripe.params
from stripe._object_classes import get_object_class

from conformance.openapi_schema import Problem, SchemaChecker, describe_value, literal_values

SPEC_PATH = Path(__file__).resolve().parent / "stripe_spec" / "operations.json"

# The spec is of API 2023-08-16; the `stripe` library pins a later version, which the adapter sends and the
# simulator renders. The library's typed models name the fields and parameters of that version: those added since
# 2023-08-16 are accepted (unchecked: the spec does not describe them), those removed since may be absent.
PINNED_VERSION = stripe.api_version
_PARAMS_AT_PINNED_VERSION = {
    "POST /v1/payment_intents": "PaymentIntentCreateParams",
    "GET /v1/payment_intents": "PaymentIntentListParams",
    "GET /v1/payment_intents/search": "PaymentIntentSearchParams",
    "GET /v1/payment_intents/{intent}": "PaymentIntentRetrieveParams",
    "POST /v1/payment_intents/{intent}": "PaymentIntentModifyParams",
    "POST /v1/payment_intents/{intent}/confirm": "PaymentIntentConfirmParams",
    "POST /v1/payment_intents/{intent}/capture": "PaymentIntentCaptureParams",
    "POST /v1/payment_intents/{intent}/cancel": "PaymentIntentCancelParams",
    "POST /v1/refunds": "RefundCreateParams",
    "GET /v1/refunds": "RefundListParams",
    "GET /v1/refunds/{refund}": "RefundRetrieveParams",
    "POST /v1/refunds/{refund}": "RefundModifyParams",
    "POST /v1/refunds/{refund}/cancel": "RefundCancelParams",
    "GET /v1/charges": "ChargeListParams",
    "GET /v1/charges/{charge}": "ChargeRetrieveParams",
    "GET /v1/events": "EventListParams",
    "GET /v1/events/{id}": "EventRetrieveParams",
}


def model_at_pinned_version(kind: str) -> type | None:
    """The library's class of an object kind, whose annotations are that kind's fields at the pinned version."""
    found = get_object_class("V1", kind)  # the generic StripeObject for a kind the library does not know
    generic = found is stripe.StripeObject or kind in ("list", "search_result")
    return None if generic or not isinstance(found, type) else found


def _params_annotations(operation: str) -> Mapping[str, Any]:
    name = _PARAMS_AT_PINNED_VERSION.get(operation)
    params = getattr(stripe.params, name) if name else None
    annotations: Mapping[str, Any] = getattr(params, "__annotations__", {})
    return annotations


@cache
def params_at_pinned_version(operation: str) -> frozenset[str]:
    return frozenset(_params_annotations(operation))


def param_values_at_pinned_version(operation: str, name: str) -> set[str]:
    """The enum values the pinned version lists for a top-level parameter (e.g. `capture_method`)."""
    return literal_values(_params_annotations(operation).get(name))


# Errors with which Stripe refuses a parameter it does not know; answered for a documented one, they are wrong.
_UNKNOWN_PARAMETER_CODES = {"parameter_unknown"}


@dataclass(frozen=True)
class Mismatch:
    operation: str
    status: int
    where: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.operation} -> {self.status}: {self.where}: expected {self.expected}; found {self.found}"


@dataclass(frozen=True)
class Operation:
    name: str  # "POST /v1/payment_intents/{intent}/capture"
    method: str
    pattern: re.Pattern[str]
    query: Mapping[str, Any]
    form: Mapping[str, Any] | None
    responses: Mapping[str, Any]


class StripeSpec:
    """The carried operations of Stripe's spec, found by method and concrete path."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.checker = SchemaChecker(document["components"]["schemas"], model_at_pinned_version)
        self.operations = [self._operation(name, found) for name, found in document["operations"].items()]
        # A literal segment wins over a template one (`/v1/payment_intents/search` is not an intent id).
        self.operations.sort(key=lambda operation: operation.name.count("{"))

    @staticmethod
    def _operation(name: str, found: Mapping[str, Any]) -> Operation:
        method, template = name.split(" ", 1)
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        return Operation(name, method, pattern, found["query"], found["form"], found["responses"])

    def find(self, method: str, path: str) -> Operation | None:
        for operation in self.operations:
            if operation.method == method and operation.pattern.match(path):
                return operation
        return None


@cache
def load_spec(path: Path = SPEC_PATH) -> StripeSpec:
    return StripeSpec(json.loads(path.read_text(encoding="utf-8")))


def decode_form(encoded: str) -> dict[str, Any]:
    """Stripe's form encoding as nested values: `metadata[k]=v` → {"metadata": {"k": "v"}}, `expand[]=x` →
    {"expand": ["x"]}, `items[0][price]=p` → {"items": {"0": {"price": "p"}}} (the checker reads it as a list)."""
    decoded: dict[str, Any] = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        head, _, rest = key.partition("[")
        segments = [head, *re.findall(r"\[([^\]]*)\]", "[" + rest)] if rest else [head]
        _place(decoded, segments, value)
    return decoded


def _place(target: dict[str, Any], segments: list[str], value: str) -> None:
    node: Any = target
    for index, segment in enumerate(segments[:-1]):
        child: Any = [] if segments[index + 1] == "" else {}
        if isinstance(node, list):  # `a[][b]=v`: each such name starts a new element
            node.append(child)
        elif isinstance(node.get(segment), list | dict):
            child = node[segment]
        else:
            node[segment] = child
        node = child
    if isinstance(node, list):
        node.append(value)
    else:
        node[segments[-1]] = value


def check_entry(entry: Mapping[str, Any], spec: StripeSpec | None = None) -> list[Mismatch]:
    """Every difference between one journal entry and Stripe's description of its operation."""
    spec = spec or load_spec()
    method, path, status = str(entry["method"]), str(entry["path"]), int(entry["status"])
    body = entry.get("body")
    operation = spec.find(method, path)
    if operation is None:
        if status < 400:
            return [Mismatch(f"{method} {path}", status, "operation", "an operation of the carried spec", "none")]
        # An unknown route is refused by Stripe too: only the shape of the refusal is held to the spec.
        error_schema = spec.operations[0].responses["default"]
        return _mismatches(f"{method} {path}", status, spec.checker.check_json(body, error_schema))
    problems = _response_problems(operation, status, body, spec.checker)
    problems += _parameter_problems(operation, entry, status, body, spec.checker)
    return _mismatches(operation.name, status, problems)


def _mismatches(operation: str, status: int, problems: Iterable[Problem]) -> list[Mismatch]:
    return [Mismatch(operation, status, p.where, p.expected, p.found) for p in problems]


def _response_problems(operation: Operation, status: int, body: Any, checker: SchemaChecker) -> list[Problem]:
    schema = operation.responses.get("200" if 200 <= status < 300 else "default")
    if schema is None:
        return [Problem("status", "a documented status", str(status))]
    if not isinstance(body, dict):
        return [Problem("$", "a JSON object", describe_value(body))]
    return checker.check_json(body, schema) + _event_object_problems(body, checker)


def _event_object_problems(body: Mapping[str, Any], checker: SchemaChecker) -> list[Problem]:
    """An event's `data.object` is free-form in the spec; it is held to the schema of the object it names."""
    events: list[tuple[str, Any]] = [("$", body)] if body.get("object") == "event" else []
    if body.get("object") in ("list", "search_result") and isinstance(body.get("data"), list):
        events = [(f"$.data[{i}]", item) for i, item in enumerate(body["data"]) if isinstance(item, dict)]
    problems: list[Problem] = []
    for where, event in events:
        data = event.get("data")
        if event.get("object") != "event" or not isinstance(data, dict) or not isinstance(data.get("object"), dict):
            continue
        kind = data["object"].get("object")
        schema = checker.components.get(str(kind))
        if schema is None:
            problems.append(Problem(f"{where}.data.object", "an object of the carried spec", describe_value(kind)))
            continue
        inner = f"{where}.data.object{{{kind}}}"  # the kind in braces: events carry objects of many kinds
        problems += checker.check_json(data["object"], schema, inner)
        previous = data.get("previous_attributes")
        if isinstance(previous, dict):
            documented = {
                *schema.get("properties", {}),
                *getattr(model_at_pinned_version(str(kind)), "__annotations__", {}),
            }
            problems += [
                Problem(f"{where}.data.previous_attributes.{name}", f"a field of {kind}", "an undocumented one")
                for name in previous
                if name not in documented
            ]
    return problems


def _parameter_problems(
    operation: Operation, entry: Mapping[str, Any], status: int, body: Any, checker: SchemaChecker
) -> list[Problem]:
    sent = decode_form(str(entry.get("query") or ""))
    documented: Mapping[str, Any] = operation.query
    if operation.form is not None and entry.get("form"):
        sent |= decode_form(str(entry["form"]))
        documented = {**documented, **operation.form.get("properties", {})}
    added_since = params_at_pinned_version(operation.name) - documented.keys()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code") in _UNKNOWN_PARAMETER_CODES:
        # Refused as unknown: wrong only if Stripe documents it (whatever else the client sent was refused).
        name = str(error.get("param") or "")
        top = name.partition("[")[0]
        if top in added_since:
            return [Problem(f"param {name}", f"accepted (a parameter at {PINNED_VERSION})", "refused as unknown")]
        return (
            [Problem(f"param {name}", "accepted (a documented parameter)", "refused as unknown")]
            if top in documented
            else []
        )
    if status >= 400:
        return []  # a refused request is no parameter the simulator took; its answer was checked above
    problems: list[Problem] = []
    for name, value in sent.items():
        if name in added_since:
            continue  # a parameter of the pinned version the spec's older version lacks: unchecked
        if name not in documented:
            problems.append(Problem(f"param {name}", "no such parameter (Stripe refuses it)", "it accepted"))
        else:
            found = checker.check_form(value, documented[name], f"param {name}")
            if isinstance(value, str) and value in param_values_at_pinned_version(operation.name, name):
                found = [p for p in found if p.where != f"param {name}"]  # an enum value added since
            problems += found
    return problems


# -- Journals ---------------------------------------------------------------------------------------------------


def read_journal(directory: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)


def shape(value: Any) -> Any:
    """What validation depends on, without what it does not: ids, amounts and times collapse to their type,
    words that may be enum values stay (a `status` of `succeeded` and one of `canceled` are checked apart)."""
    if isinstance(value, dict):
        return tuple(sorted((name, shape(item)) for name, item in value.items()))
    if isinstance(value, list):
        return ("[]", tuple(sorted({repr(shape(item)) for item in value})))
    if isinstance(value, str):
        return value if _WORD.fullmatch(value) else ("str", min(len(value), 5001) // 1000)
    if isinstance(value, bool) or value is None:
        return value
    return type(value).__name__


# Enum values are lower-case words with underscores or dots; ids and secrets mix cases and digits.
_WORD = re.compile(r"[a-z][a-z_.]{0,60}")


def check_entries(entries: Iterable[Mapping[str, Any]], spec: StripeSpec | None = None) -> list[Mismatch]:
    """Every mismatch of the entries, each distinct exchange shape checked once."""
    spec = spec or load_spec()
    seen: set[Any] = set()
    found: list[Mismatch] = []
    for entry in entries:
        operation = spec.find(str(entry["method"]), str(entry["path"]))
        key = (
            operation.name if operation else f"{entry['method']} {entry['path']}",
            entry["status"],
            shape(decode_form(str(entry.get("query") or ""))),
            shape(decode_form(str(entry.get("form") or ""))),
            shape(entry.get("body")),
        )
        if key in seen:
            continue
        seen.add(key)
        found += check_entry(entry, spec)
    return found


def check_journal(directory: Path) -> list[Mismatch]:
    return check_entries(read_journal(directory))


def report(mismatches: Iterable[Mismatch]) -> str:
    """One line per distinct mismatch, array indices generalised (`data[*]`), with how often it was seen and one
    value found; sorted by operation."""
    grouped: dict[tuple[str, int, str, str], list[str]] = {}
    for mismatch in mismatches:
        where = re.sub(r"\[\d+\]", "[*]", mismatch.where)
        grouped.setdefault((mismatch.operation, mismatch.status, where, mismatch.expected), []).append(mismatch.found)
    lines = []
    for (operation, status, where, expected), found in sorted(grouped.items()):
        seen = f"  (x{len(found)})" if len(found) > 1 else ""
        lines.append(f"{operation} -> {status}: {where}: expected {expected}; found {found[0]}{seen}")
    return "\n".join(lines)
