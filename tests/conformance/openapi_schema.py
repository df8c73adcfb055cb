"""Validation of values against OpenAPI 3.0 schema objects as Stripe's spec writes them (`nullable`, `anyOf` for
expandable fields, `additionalProperties`, `enum`, `maxLength`, `pattern`, `$ref` into `components`), in two modes:

- JSON, for response bodies: values are JSON, and an object is closed to fields it does not document (Stripe
  documents every field of its objects), and every nullable field must be present: Stripe sends an empty nullable
  field as `null` rather than leaving it out (the spec's `required` lists only the never-null fields).
- form, for request parameters: leaves are the strings of Stripe's form encoding (`amount=100`, `confirm=true`), so
  an integer is a string of digits and a boolean is `true` or `false`; arrays may arrive as `{"0": ..., "1": ...}`.

The spec is OpenAPI 3.0, not JSON Schema (`nullable` beside `type`, open objects by default), hence a small
interpreter of its own rather than a conversion.

A spec is of one API version; the client may pin a later one. `models` maps an object kind (`charge`) to a class
whose annotations name that kind's fields at the later version (with nested classes named after their fields, as
the `stripe` library's are): a field added since is then no undocumented field, and one removed since may be
absent. What such fields hold is not checked: the spec does not describe them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Schema = Mapping[str, Any]
REF_PREFIX = "#/components/schemas/"

# Fields Stripe leaves out unless expanded, although nullable (API 2022-11-15 stopped including a charge's refunds).
OMITTED_UNLESS_EXPANDED = {("charge", "refunds")}


@dataclass(frozen=True)
class Problem:
    """One place where a value differs from its schema: where (a JSON path or a form name), expected, found."""

    where: str
    expected: str
    found: str


Models = Callable[[str], type | None]


def _no_models(kind: str) -> type | None:
    return None


class SchemaChecker:
    def __init__(self, components: Mapping[str, Schema], models: Models = _no_models) -> None:
        self.components = components
        self.models = models

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.components[str(schema["$ref"]).removeprefix(REF_PREFIX)]
        return schema

    # -- Descriptions, for readable reports -----------------------------------------------------------------

    def describe(self, schema: Schema) -> str:
        nullable = " or null" if schema.get("nullable") else ""
        if "$ref" in schema:
            return f"{str(schema['$ref']).removeprefix(REF_PREFIX)} object{nullable}"
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                return " or ".join(self.describe(branch) for branch in schema[combinator]) + nullable
        if "enum" in schema:
            return "one of " + ", ".join(repr(value) for value in schema["enum"]) + nullable
        return str(schema.get("type", "anything")) + nullable

    # -- JSON mode ------------------------------------------------------------------------------------------

    def check_json(self, value: Any, schema: Schema, where: str = "$", model: type | None = None) -> list[Problem]:
        if value is None:
            ok = schema.get("nullable") or self.resolve(schema).get("nullable")
            return [] if ok else [Problem(where, self.describe(schema), "null")]
        if isinstance(value, dict) and isinstance(value.get("object"), str):
            model = self.models(value["object"]) or model
        if "$ref" in schema:
            return self.check_json(value, self.resolve(schema), where, model)
        if "anyOf" in schema or "oneOf" in schema:
            return self._check_branches(value, schema, where, lambda v, b, w: self.check_json(v, b, w, model))
        for branch in schema.get("allOf", []):
            problems = self.check_json(value, branch, where, model)
            if problems:
                return problems
        expected_type = schema.get("type")
        if expected_type is not None and not _json_type_matches(value, str(expected_type)):
            return [Problem(where, self.describe(schema), describe_value(value))]
        if isinstance(value, str):
            return self._check_string(value, value, schema, where)
        if isinstance(value, list):
            items = schema.get("items")
            return [
                p for i, item in enumerate(value) for p in self.check_json(item, items or {}, f"{where}[{i}]", model)
            ]
        if isinstance(value, dict):
            return self._check_json_object(value, schema, where, model)
        if "enum" in schema and value not in schema["enum"]:
            return [Problem(where, self.describe(schema), describe_value(value))]
        return []

    def _check_json_object(
        self, value: dict[str, Any], schema: Schema, where: str, model: type | None
    ) -> list[Problem]:
        properties: Mapping[str, Schema] = schema.get("properties", {})
        problems: list[Problem] = []
        kind = _object_kind(schema)
        now = set(getattr(model, "__annotations__", {})) if model is not None else None
        must = set(schema.get("required", []))
        must |= {name for name, sub in properties.items() if sub.get("nullable")}
        must -= {name for owner, name in OMITTED_UNLESS_EXPANDED if owner == kind}
        if now is not None:
            must &= now  # a field removed since the spec's version is rightly absent
        for name in sorted(must - value.keys()):
            sub = properties.get(name, {})
            expected = self.describe(sub) + (" (null when empty)" if sub.get("nullable") else "")
            problems.append(Problem(f"{where}.{name}", expected, "missing"))
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            inner = _nested_model(model, name)
            if name in properties:
                found = self.check_json(item, properties[name], f"{where}.{name}", inner)
                if isinstance(item, str) and item in literal_values(getattr(model, "__annotations__", {}).get(name)):
                    found = [p for p in found if p.where != f"{where}.{name}"]  # an enum value added since
                problems += found
            elif isinstance(extra, Mapping):
                problems += self.check_json(item, extra, f"{where}.{name}", inner)
            elif now is not None and name in now:
                continue  # added since the spec's version
            elif extra is False or (extra is None and properties):
                problems.append(Problem(f"{where}.{name}", "no such field (undocumented)", describe_value(item)))
        return problems

    # -- Form mode ------------------------------------------------------------------------------------------

    def check_form(self, value: Any, schema: Schema, where: str) -> list[Problem]:
        if "$ref" in schema:
            return self.check_form(value, self.resolve(schema), where)
        if "anyOf" in schema or "oneOf" in schema:
            return self._check_branches(value, schema, where, self.check_form)
        for branch in schema.get("allOf", []):
            problems = self.check_form(value, branch, where)
            if problems:
                return problems
        expected_type = schema.get("type")
        if expected_type == "array":
            items = _as_list(value)
            if items is None:
                return [Problem(where, self.describe(schema), describe_value(value))]
            return [p for i, item in enumerate(items) for p in self.check_form(item, schema.get("items", {}), where)]
        if expected_type == "object" or "properties" in schema:
            if not isinstance(value, dict):
                return [Problem(where, self.describe(schema), describe_value(value))]
            return self._check_form_object(value, schema, where)
        if not isinstance(value, str):
            return [Problem(where, self.describe(schema), describe_value(value))]
        if expected_type is not None and not _form_type_matches(value, str(expected_type)):
            return [Problem(where, self.describe(schema), describe_value(value))]
        return self._check_string(value, _form_scalar(value, expected_type), schema, where)

    def _check_form_object(self, value: dict[str, Any], schema: Schema, where: str) -> list[Problem]:
        properties: Mapping[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        problems: list[Problem] = []
        for name, item in value.items():
            inner = f"{where}[{name}]"
            if name in properties:
                problems += self.check_form(item, properties[name], inner)
            elif isinstance(extra, Mapping):
                problems += self.check_form(item, extra, inner)
            elif extra is not True:
                # A request object names its parameters; one it does not name is refused by Stripe.
                problems.append(Problem(inner, "no such parameter (Stripe refuses it)", describe_value(item)))
        return problems

    # -- Shared ---------------------------------------------------------------------------------------------

    def _check_branches(self, value: Any, schema: Schema, where: str, check: Any) -> list[Problem]:
        branches: list[Schema] = list(schema.get("anyOf", schema.get("oneOf", [])))
        attempts = []
        for branch in branches:
            problems: list[Problem] = check(value, branch, where)
            if not problems:
                return []
            attempts.append((branch, problems))
        # An object that names its kind is reported against the branch of that kind (an expanded field), so
        # the report says which field of it is wrong rather than "expected string or charge object".
        if isinstance(value, dict):
            for branch, problems in attempts:
                if _object_kind(self.resolve(branch)) == value.get("object"):
                    return problems
            objects = [problems for branch, problems in attempts if self.resolve(branch).get("type") == "object"]
            if len(objects) == 1:
                return objects[0]
        return [Problem(where, self.describe(schema), describe_value(value))]

    def _check_string(self, text: str, value: Any, schema: Schema, where: str) -> list[Problem]:
        if "enum" in schema and value not in schema["enum"]:
            return [Problem(where, self.describe(schema), describe_value(value))]
        if "maxLength" in schema and len(text) > int(schema["maxLength"]):
            return [Problem(where, f"at most {schema['maxLength']} characters", f"{len(text)} characters")]
        if "pattern" in schema and not re.search(str(schema["pattern"]), text):
            return [Problem(where, f"matching {schema['pattern']}", describe_value(text))]
        return []


def literal_values(annotation: Any) -> set[str]:
    """The strings a typed model's annotation lists as `Literal[...]` (annotations may be objects or strings)."""
    if annotation is None:
        return set()
    listed = re.findall(r"Literal\[([^\]]*)\]", repr(annotation))
    return {value for group in listed for value in re.findall(r"'([^']*)'", group)}


def _nested_model(model: type | None, field: str) -> type | None:
    """The class describing a field's object (`payment_method_details` → `PaymentMethodDetails`), if any."""
    nested = getattr(model, "".join(part.capitalize() for part in field.split("_")), None)
    return nested if isinstance(nested, type) else None


def _object_kind(schema: Schema) -> str | None:
    """The `object` value a schema's objects carry (`charge`, `payment_intent`), if it names one."""
    enum = schema.get("properties", {}).get("object", {}).get("enum", [])
    return str(enum[0]) if len(enum) == 1 else None


def _json_type_matches(value: Any, expected: str) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds: dict[str, type | tuple[type, ...]] = {"string": str, "boolean": bool, "object": dict, "array": list}
    return isinstance(value, kinds.get(expected, object))


_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def _form_type_matches(text: str, expected: str) -> bool:
    if expected == "integer":
        return bool(_INTEGER.fullmatch(text))
    if expected == "number":
        return bool(_NUMBER.fullmatch(text))
    if expected == "boolean":
        return text in ("true", "false")
    return expected == "string"


def _form_scalar(text: str, expected: Any) -> Any:
    """The form string as the value an enum of that type lists (enums of integers or booleans are rare)."""
    if expected == "integer":
        return int(text)
    if expected == "boolean":
        return text == "true"
    return text


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    return None


def describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"{type(value).__name__} {value}"
    if isinstance(value, str):
        return f"string {value[:60]!r}" + ("..." if len(value) > 60 else "")
    if isinstance(value, list):
        return f"array of {len(value)}"
    if isinstance(value, dict):
        kind = value.get("object")
        return f"{kind} object" if isinstance(kind, str) else f"object with {', '.join(sorted(value)[:6]) or 'no keys'}"
    return type(value).__name__
