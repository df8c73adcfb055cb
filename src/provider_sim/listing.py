"""Stripe's list pagination: newest first, `starting_after` pages back in time, `ending_before` forward."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from provider_sim.errors import invalid_request
from provider_sim.ledger import Collection, HasId
from provider_sim.objects import JsonObject
from provider_sim.params import PageRequest

T = TypeVar("T", bound=HasId)


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool


def _cursor_position(collection: Collection[T], cursor: str, param: str) -> int:
    position = collection.position(cursor)
    if position is None:
        raise invalid_request(f"No such object: '{cursor}'", param=param, code="resource_missing")
    return position


def _collect(collection: Collection[T], positions: range, keep: Callable[[T], bool], limit: int) -> Page[T]:
    found: list[T] = []
    for position in positions:
        item = collection.at(position)
        if keep(item):
            if len(found) == limit:
                return Page(found, has_more=True)
            found.append(item)
    return Page(found, has_more=False)


def paginate(collection: Collection[T], page: PageRequest, keep: Callable[[T], bool]) -> Page[T]:
    if page.ending_before is not None:
        start = _cursor_position(collection, page.ending_before, "ending_before")
        newer = _collect(collection, range(start + 1, len(collection)), keep, page.limit)
        return Page(list(reversed(newer.data)), newer.has_more)
    start = len(collection)
    if page.starting_after is not None:
        start = _cursor_position(collection, page.starting_after, "starting_after")
    return _collect(collection, range(start - 1, -1, -1), keep, page.limit)


def list_object(url: str, data: list[JsonObject], has_more: bool) -> JsonObject:
    return {"object": "list", "url": url, "has_more": has_more, "data": data}
