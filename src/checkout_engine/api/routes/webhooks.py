"""`POST /webhooks/stripe`: verify the signature on the raw bytes, store, acknowledge."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from checkout_engine.api.answers import WITH_BODY, errors
from checkout_engine.api.deps import AppSettings, Uow
from checkout_engine.errors import BadRequest
from checkout_engine.observability.metrics import WEBHOOK_DELIVERIES, WEBHOOK_SIGNATURE_FAILURES
from checkout_engine.payments.providers.stripe import to_event
from checkout_engine.webhooks.ingest import ingest
from checkout_engine.webhooks.signature import WebhookSignatureError, verify_signature

router = APIRouter(tags=["webhooks"])


async def raw_body(request: Request) -> bytes:
    """The exact bytes the provider signed (read before anything parses them)."""
    return await request.body()


@router.post(
    "/webhooks/stripe",
    responses=errors(*WITH_BODY, codes={400: ["invalid_signature", "malformed_event"], 422: ["invalid_characters"]}),
)
def stripe_webhook(
    payload: Annotated[bytes, Depends(raw_body)],
    uow: Uow,
    settings: AppSettings,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> dict[str, Any]:
    try:
        verify_signature(
            payload,
            stripe_signature,
            secrets=settings.webhook_secrets(),
            tolerance_seconds=settings.webhook_tolerance_seconds,
        )
    except WebhookSignatureError:
        WEBHOOK_SIGNATURE_FAILURES.inc()
        raise
    try:
        data = json.loads(payload)
        event = to_event(data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadRequest("The webhook body is not a provider event.", code="malformed_event") from error
    stored = ingest(uow, provider="stripe", event=event)
    uow.commit()
    WEBHOOK_DELIVERIES.labels(outcome="new" if stored.delivery_count == 1 else "duplicate").inc()
    return {"received": True, "duplicate": stored.delivery_count > 1}
