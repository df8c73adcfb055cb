"""In-memory storage of the simulated account: objects in creation order, and the event log."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

from provider_sim.errors import resource_missing
from provider_sim.ids import new_id
from provider_sim.objects import (
    Charge,
    Dispute,
    Event,
    JsonObject,
    PaymentIntent,
    Refund,
    RequestInfo,
    changed_fields,
)


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)
EventListener = Callable[[Event], None]
Stored = PaymentIntent | Charge | Refund | Dispute | Event
KINDS = {"pi": "payment_intent", "ch": "charge", "re": "refund", "dp": "dispute", "evt": "event"}


class Collection(Generic[T]):
    """Objects by id, remembering creation order so lists can page newest-first like Stripe's."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._index: dict[str, int] = {}

    def add(self, item: T) -> T:
        self._index[item.id] = len(self._items)
        self._items.append(item)
        return item

    def get(self, object_id: str) -> T | None:
        position = self._index.get(object_id)
        return None if position is None else self._items[position]

    def position(self, object_id: str) -> int | None:
        return self._index.get(object_id)

    def __len__(self) -> int:
        return len(self._items)

    def at(self, position: int) -> T:
        return self._items[position]

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[T]:
        return reversed(self._items)


class Ledger:
    def __init__(self, api_version: str, clock: Callable[[], float] = time.time) -> None:
        self.api_version = api_version
        self.clock = clock
        self._listeners: list[EventListener] = []
        self.clear()

    def clear(self) -> None:
        self.payment_intents: Collection[PaymentIntent] = Collection()
        self.charges: Collection[Charge] = Collection()
        self.refunds: Collection[Refund] = Collection()
        self.disputes: Collection[Dispute] = Collection()
        self.events: Collection[Event] = Collection()

    def find(self, object_id: str) -> Stored:
        """Any stored object, by the kind its id prefix names."""
        prefix = object_id.partition("_")[0]
        lookups: dict[str, Callable[[str], Stored | None]] = {
            "pi": self.payment_intents.get,
            "ch": self.charges.get,
            "re": self.refunds.get,
            "dp": self.disputes.get,
            "evt": self.events.get,
        }
        lookup = lookups.get(prefix)
        found = lookup(object_id) if lookup is not None else None
        if found is None:
            raise resource_missing(KINDS.get(prefix, "object"), object_id)
        return found

    def now(self) -> int:
        return int(self.clock())

    def subscribe(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def emit(
        self, event_type: str, snapshot: JsonObject, request: RequestInfo, before: JsonObject | None = None
    ) -> Event:
        """Records an event carrying `snapshot` (the object as it is now) and tells the listeners. An `*.updated`
        event names what changed since `before` in its `previous_attributes`, as Stripe's do."""
        previous = changed_fields(before or {}, snapshot) if event_type.endswith(".updated") else None
        event = Event(
            id=new_id("evt"),
            type=event_type,
            created=self.now(),
            api_version=self.api_version,
            data_object=snapshot,
            request=request,
            previous_attributes=previous,
        )
        self.events.add(event)
        for listener in self._listeners:
            listener(event)
        return event
