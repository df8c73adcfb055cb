"""The simulated Stripe objects: events here, the others in a module each (re-exported for callers)."""

from __future__ import annotations

from dataclasses import dataclass

from provider_sim.charge_object import Charge
from provider_sim.intent_object import IntentStatus, JsonObject, PaymentIntent
from provider_sim.refund_object import Dispute, Refund

__all__ = [
    "NO_REQUEST",
    "Charge",
    "Dispute",
    "Event",
    "IntentStatus",
    "JsonObject",
    "PaymentIntent",
    "Refund",
    "RequestInfo",
    "changed_fields",
]


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused a change, as events report it."""

    id: str | None = None
    idempotency_key: str | None = None

    def to_dict(self) -> JsonObject:
        return {"id": self.id, "idempotency_key": self.idempotency_key}


NO_REQUEST = RequestInfo()


def changed_fields(before: JsonObject, after: JsonObject) -> JsonObject:
    """`previous_attributes` of an `*.updated` event: the earlier value of every top-level field that changed
    (null for one that was absent before)."""
    return {name: before.get(name) for name, value in after.items() if before.get(name) != value}


@dataclass
class Event:
    id: str
    type: str
    created: int
    api_version: str
    data_object: JsonObject
    request: RequestInfo
    pending_webhooks: int = 0
    # Only `*.updated` events carry it (Stripe's spec: present, never null, when there is one).
    previous_attributes: JsonObject | None = None

    def to_dict(self) -> JsonObject:
        data: JsonObject = {"object": self.data_object}
        if self.previous_attributes is not None:
            data["previous_attributes"] = self.previous_attributes
        return {
            "id": self.id,
            "object": "event",
            "api_version": self.api_version,
            "created": self.created,
            "data": data,
            "livemode": False,
            "pending_webhooks": self.pending_webhooks,
            "request": self.request.to_dict(),
            "type": self.type,
        }
