"""Regenerates `stripe_spec/operations.json` from Stripe's published OpenAPI description: the operations the
simulator serves, their documented parameters and response schemas, and every component schema they reference,
without what validation does not read (descriptions, expansion hints, titles).

    .venv/bin/python tests/conformance/extract_spec.py [path/to/spec3.2023-08-16.yaml]

Only needed to refresh the carried copy; the conformance checks read the JSON alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "reference" / "stripe-openapi" / "spec3.2023-08-16.yaml"
TARGET = HERE / "stripe_spec" / "operations.json"
SOURCE = {
    "repository": "stripe/openapi",
    "path": "openapi/spec3.yaml",
    "commit": "96f3704c1cec",
    "api_version": "2023-08-16",
    "license": "MIT (LICENSE beside this file)",
}

# method, path template, as Stripe's spec names them.
OPERATIONS = [
    ("post", "/v1/payment_intents"),
    ("get", "/v1/payment_intents"),
    ("get", "/v1/payment_intents/search"),
    ("get", "/v1/payment_intents/{intent}"),
    ("post", "/v1/payment_intents/{intent}"),
    ("post", "/v1/payment_intents/{intent}/confirm"),
    ("post", "/v1/payment_intents/{intent}/capture"),
    ("post", "/v1/payment_intents/{intent}/cancel"),
    ("post", "/v1/refunds"),
    ("get", "/v1/refunds"),
    ("get", "/v1/refunds/{refund}"),
    ("post", "/v1/refunds/{refund}"),
    ("post", "/v1/refunds/{refund}/cancel"),
    ("get", "/v1/charges"),
    ("get", "/v1/charges/{charge}"),
    ("get", "/v1/events"),
    ("get", "/v1/events/{id}"),
]

# Schema keywords the validator reads; everything else (description, title, x-*, format) is dropped.
KEPT = {"type", "properties", "required", "nullable", "anyOf", "oneOf", "allOf", "enum", "items"}
KEPT |= {"additionalProperties", "$ref", "maxLength", "pattern"}
REF_PREFIX = "#/components/schemas/"


def pruned(schema: Any, refs: set[str]) -> Any:
    """The schema with only the validation keywords, collecting the component names it references."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in KEPT:
            continue
        if key == "$ref":
            refs.add(value.removeprefix(REF_PREFIX))
            out[key] = value
        elif key == "properties":
            out[key] = {name: pruned(sub, refs) for name, sub in value.items()}
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [pruned(sub, refs) for sub in value]
        elif key in ("items", "additionalProperties"):
            out[key] = pruned(value, refs)
        else:
            out[key] = value
    return out


def operation(spec: dict[str, Any], method: str, path: str, refs: set[str]) -> dict[str, Any]:
    found = spec["paths"][path][method]
    query = {
        parameter["name"]: pruned(parameter["schema"], refs)
        for parameter in found.get("parameters", [])
        if parameter["in"] == "query"
    }
    form = found.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
    responses = {
        status: pruned(answer["content"]["application/json"]["schema"], refs)
        for status, answer in found["responses"].items()
        if status in ("200", "default")
    }
    return {"query": query, "form": pruned(form["schema"], refs) if form else None, "responses": responses}


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    refs: set[str] = set()
    operations = {f"{method.upper()} {path}": operation(spec, method, path, refs) for method, path in OPERATIONS}
    schemas: dict[str, Any] = {}
    pending = set(refs)
    while pending:
        name = pending.pop()
        found: set[str] = set()
        schemas[name] = pruned(spec["components"]["schemas"][name], found)
        pending |= found - schemas.keys()
    return {
        "source": SOURCE,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def main(argv: list[str]) -> None:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    with source.open(encoding="utf-8") as text:
        spec = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    TARGET.write_text(json.dumps(extract(spec), indent=1) + "\n", encoding="utf-8")
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv)
