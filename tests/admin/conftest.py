"""Admin API tests run the whole product (tests/support/stack.py) against PostgreSQL and the simulator process,
with helpers to place, pay and fulfil orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from checkout_engine.webhooks import processor
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.stack import (
    client,
    default_items,
    fulfilled,
    live,
    place,
    provider,
    settings,
    shop,
    state_of,
    wired,
    worker,
)

__all__ = [
    "client",
    "default_items",
    "fulfilled",
    "live",
    "place",
    "provider",
    "settings",
    "shop",
    "state_of",
    "wired",
    "worker",
]


@pytest.fixture
def webhook_worker(engine: Engine, settings: Settings, provider: PaymentProvider) -> Worker:
    """Processes webhooks only, leaving fulfilment, capture and the rest queued for the test to look at."""
    return Worker(
        JobContext(engine, settings, provider_factory=lambda: provider), handlers={PROCESS_WEBHOOK: processor.process}
    )


@pytest.fixture
def act(client: TestClient, admin_headers: dict[str, str]) -> Callable[..., Any]:
    """Posts an order action with a reason (or the given body) as the bootstrap admin."""

    def post(order_id: str, action: str, reason: str | None = "operator check", **body: Any) -> Any:
        payload = {"reason": reason, **body} if reason is not None else body or None
        return client.post(f"/admin/v1/orders/{order_id}/actions/{action}", json=payload, headers=admin_headers)

    return post
