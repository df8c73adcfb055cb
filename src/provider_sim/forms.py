"""Decoding of Stripe's form encoding (`metadata[k]=v`, `expand[]=x`, `expand[0]=x`) into nested values."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from provider_sim.errors import invalid_request

Nested = dict[str, Any]


def split_key(key: str) -> list[str]:
    """`a[b][]` → `["a", "b", ""]`; a key without brackets is a single segment."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    if not rest.endswith("]"):
        raise invalid_request(f"Invalid parameter name: {key}", param=key)
    return [head, *rest[:-1].split("][")]


def _insert(tree: Nested, segments: list[str], value: str, key: str) -> None:
    node = tree
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        name = str(len(node)) if segment == "" else segment
        if last:
            if name in node:
                raise invalid_request(f"Duplicate parameter: {key}", param=key)
            node[name] = value
            return
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise invalid_request(f"Invalid hash: {key} mixes a value and nested keys", param=segments[0])
        node = child


def _listify(node: Any) -> Any:
    """Turns dicts keyed `0..n-1` (from `[]` or `[i]`) into lists, recursively."""
    if not isinstance(node, dict):
        return node
    converted = {name: _listify(child) for name, child in node.items()}
    if converted and all(name.isdigit() for name in converted):
        ordered = sorted(converted, key=int)
        if [int(name) for name in ordered] == list(range(len(ordered))):
            return [converted[name] for name in ordered]
    return converted


def decode_pairs(pairs: list[tuple[str, str]]) -> Nested:
    tree: Nested = {}
    for key, value in pairs:
        _insert(tree, split_key(key), value, key)
    return {name: _listify(child) for name, child in tree.items()}


def parse_pairs(encoded: str) -> list[tuple[str, str]]:
    return parse_qsl(encoded, keep_blank_values=True)


def decode_form(encoded: str) -> Nested:
    return decode_pairs(parse_pairs(encoded))
