"""Typed reading of decoded request parameters, failing the way Stripe fails."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from provider_sim.config import API_VERSION
from provider_sim.errors import invalid_request
from provider_sim.forms import Nested
from provider_sim.param_specs import REMOVED, removed_parameter

# Parameters every Stripe endpoint accepts and this simulator has no use for.
_ALWAYS_ALLOWED = frozenset({"expand"})
_METADATA_MAX_KEYS = 50
_METADATA_KEY_MAX = 40
_METADATA_VALUE_MAX = 500


@dataclass(frozen=True)
class CreatedRange:
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None

    def contains(self, created: int) -> bool:
        return not (
            (self.gt is not None and created <= self.gt)
            or (self.gte is not None and created < self.gte)
            or (self.lt is not None and created >= self.lt)
            or (self.lte is not None and created > self.lte)
        )


@dataclass(frozen=True)
class PageRequest:
    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None


def _to_int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise invalid_request(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer") from None


class Params:
    def __init__(self, values: Nested) -> None:
        self.values = values

    def reject_unknown(self, allowed: Collection[str]) -> None:
        for name in self.values:
            if name in allowed or name in _ALWAYS_ALLOWED:
                continue
            if name in REMOVED:
                raise removed_parameter(name, API_VERSION)
            raise invalid_request(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")

    def nested(self, name: str) -> dict[str, object] | None:
        """A hash parameter such as `automatic_payment_methods[enabled]`; None when not given."""
        raw = self.values.get(name)
        if raw is None or raw == "":
            return None
        if not isinstance(raw, dict):
            raise invalid_request(f"Invalid object: {name} must be a hash", param=name)
        return raw

    def string_list(self, name: str) -> list[str] | None:
        """An array parameter (`types[]=a&types[]=b`, or one value); None when not given."""
        raw = self.values.get(name)
        if raw is None:
            return None
        values = [raw] if isinstance(raw, str) else raw
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise invalid_request(f"Invalid array: {name} must be an array of strings", param=name)
        return values

    def metadata_changes(self) -> tuple[dict[str, str | None], bool]:
        """Metadata as an update gives it: keys to set, keys to remove (empty value), or `metadata=""` to clear."""
        raw = self.values.get("metadata")
        if raw is None:
            return {}, False
        if raw == "":
            return {}, True
        if not isinstance(raw, dict) or not all(isinstance(value, str) for value in raw.values()):
            raise invalid_request("Invalid metadata: must be a hash of strings", param="metadata")
        kept = _checked_metadata({key: value for key, value in raw.items() if value != ""})
        return {key: (kept.get(key)) for key in raw}, False

    def has(self, name: str) -> bool:
        return name in self.values

    def string(self, name: str, *, required: bool = False) -> str | None:
        raw = self.values.get(name)
        if raw is None or raw == "":
            if required:
                raise invalid_request(f"Missing required param: {name}.", param=name, code="parameter_missing")
            return None
        if not isinstance(raw, str):
            raise invalid_request(f"Invalid string: {name} must be a string", param=name)
        return raw

    def required_string(self, name: str) -> str:
        value = self.string(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        raw = self.string(name, required=required)
        if raw is None:
            return None
        value = _to_int(raw, name)
        if minimum is not None and value < minimum:
            raise invalid_request(
                f"Invalid {name}: must be at least {minimum}", param=name, code="parameter_invalid_integer"
            )
        return value

    def boolean(self, name: str) -> bool | None:
        raw = self.string(name)
        if raw is None:
            return None
        if raw not in ("true", "false"):
            raise invalid_request(f"Invalid boolean: {raw}", param=name)
        return raw == "true"

    def choice(self, name: str, options: Collection[str]) -> str | None:
        value = self.string(name)
        if value is not None and value not in options:
            allowed = ", ".join(sorted(options))
            raise invalid_request(f"Invalid {name}: must be one of {allowed}", param=name)
        return value

    def metadata(self) -> dict[str, str]:
        raw = self.values.get("metadata", {})
        if raw == "":
            return {}
        if isinstance(raw, list):
            raw = {str(index): value for index, value in enumerate(raw)}
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise invalid_request("Invalid metadata: must be a hash of strings", param="metadata")
        return _checked_metadata({key: value for key, value in raw.items() if value != ""})

    def expand(self, expandable: Collection[str] = ()) -> list[str]:
        """The `expand[]` paths, each checked against what this endpoint can expand."""
        raw = self.values.get("expand", [])
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise invalid_request("Invalid expand: must be an array of strings", param="expand")
        for name in names:
            if name not in expandable:
                raise invalid_request(f"This property cannot be expanded ({name}).", param="expand")
        return names

    def created_range(self, name: str = "created") -> CreatedRange:
        raw = self.values.get(name)
        if raw is None:
            return CreatedRange()
        if isinstance(raw, str):
            exact = _to_int(raw, name)
            return CreatedRange(gte=exact, lte=exact)
        if not isinstance(raw, dict) or set(raw) - {"gt", "gte", "lt", "lte"}:
            raise invalid_request(f"Invalid {name}: use gt, gte, lt or lte", param=name)
        bounds = {op: _to_int(value, f"{name}[{op}]") for op, value in raw.items()}
        return CreatedRange(**bounds)

    def page_request(self) -> PageRequest:
        limit = self.integer("limit")
        if limit is not None and not 1 <= limit <= 100:
            raise invalid_request(
                "Invalid limit: must be between 1 and 100", param="limit", code="parameter_invalid_integer"
            )
        after, before = self.string("starting_after"), self.string("ending_before")
        if after and before:
            raise invalid_request(
                "You may only specify one of starting_after and ending_before.", param="ending_before"
            )
        return PageRequest(limit=limit or 10, starting_after=after, ending_before=before)


def _checked_metadata(metadata: dict[str, str]) -> dict[str, str]:
    if len(metadata) > _METADATA_MAX_KEYS:
        raise invalid_request(f"Invalid metadata: at most {_METADATA_MAX_KEYS} keys are allowed", param="metadata")
    for key, value in metadata.items():
        if len(key) > _METADATA_KEY_MAX:
            raise invalid_request(
                f"Invalid metadata key: keys must be at most {_METADATA_KEY_MAX} characters",
                param=f"metadata[{key}]",
            )
        if len(value) > _METADATA_VALUE_MAX:
            raise invalid_request(
                f"Invalid metadata value: values must be at most {_METADATA_VALUE_MAX} characters",
                param=f"metadata[{key}]",
            )
    return metadata
