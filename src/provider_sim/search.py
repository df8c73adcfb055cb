"""A subset of Stripe's search query language: `metadata['k']:'v' AND status:'succeeded' AND amount>100`."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from provider_sim.errors import invalid_request
from provider_sim.objects import JsonObject

_CLAUSE = re.compile(
    r"""^(?P<negated>-)?
        (?P<field>metadata\[(?P<quote>['"])(?P<key>[^'"]+)(?P=quote)\]|[a-z_]+)
        (?P<op>:|>=|<=|>|<|~)
        (?P<value>'[^']*'|"[^"]*"|\S+)$""",
    re.VERBOSE,
)
_SPLIT = re.compile(r"\s+(AND|OR)\s+")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}
NUMERIC_FIELDS = frozenset({"amount", "created"})


@dataclass(frozen=True)
class Clause:
    field: str
    key: str | None
    op: str
    value: str
    negated: bool

    def matches(self, record: JsonObject) -> bool:
        return self._holds(record) != self.negated

    def _holds(self, record: JsonObject) -> bool:
        actual = record.get("metadata", {}).get(self.key) if self.key else record.get(self.field)
        if actual is None:
            return False
        if self.op in _COMPARE:
            return _COMPARE[self.op](int(actual), int(self.value))
        if self.op == "~":
            return self.value.lower() in str(actual).lower()
        return str(actual) == self.value


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    any_of: bool

    def matches(self, record: JsonObject) -> bool:
        results = (clause.matches(record) for clause in self.clauses)
        return any(results) if self.any_of else all(results)


def _clause(text: str, fields: frozenset[str]) -> Clause:
    found = _CLAUSE.match(text.strip())
    if found is None:
        raise invalid_request(f"Could not parse the search query near '{text}'.", param="query")
    key = found["key"]
    field = "metadata" if key else found["field"]
    if field not in fields:
        raise invalid_request(f"Field '{field}' is not supported for this search.", param="query")
    value = found["value"].strip("'\"")
    if found["op"] in _COMPARE and (field not in NUMERIC_FIELDS or not value.lstrip("-").isdigit()):
        raise invalid_request(f"'{found['op']}' needs a numeric field and value near '{text}'.", param="query")
    return Clause(field, key, found["op"], value, bool(found["negated"]))


def parse_query(text: str, fields: frozenset[str]) -> Query:
    parts = _SPLIT.split(text.strip())
    clauses, joiners = parts[::2], set(parts[1::2])
    if not text.strip():
        raise invalid_request("Missing required param: query.", param="query", code="parameter_missing")
    if len(joiners) > 1:
        raise invalid_request("AND and OR cannot be mixed in one search query.", param="query")
    return Query(tuple(_clause(part, fields) for part in clauses), any_of=joiners == {"OR"})
