"""Request-scoped dependencies: the unit of work, settings and the calling staff principal."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from checkout_engine.admin import keys as api_keys
from checkout_engine.admin.roles import Principal, Role
from checkout_engine.api.params import bearer_key
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Forbidden, Unauthenticated
from checkout_engine.payments.factory import build_provider
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings

BOOTSTRAP_PRINCIPAL = "bootstrap-admin"


# Dependencies that do no I/O are async: FastAPI runs a plain `def` dependency through the thread pool.


async def settings(request: Request) -> Settings:
    configured: Settings = request.app.state.settings
    return configured


def provider(request: Request) -> PaymentProvider:
    """The payment provider, built on first use (serving the catalog needs no provider credentials)."""
    state = request.app.state
    if state.provider is None:
        state.provider = build_provider(state.settings)
    built: PaymentProvider = state.provider
    return built


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """An open unit of work for the request; the route commits it explicitly, anything else rolls back.

    Async, so that opening and closing it costs no trip through the thread pool (a sync dependency with ``yield``
    costs two, each a wait for the GIL under load): it connects at first use, inside the route's own thread; a
    committed one is handed back to the pool here without any I/O, and only a rollback is sent to a thread."""
    uow = UnitOfWork(request.app.state.engine).__enter__()
    try:
        yield uow
    finally:
        if uow.needs_rollback:
            await anyio.to_thread.run_sync(uow.close)
        else:
            uow.close()


def _principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_key)]
) -> Principal:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated("Send an admin API key as `Authorization: Bearer <key>`.", code="unauthenticated")
    key = credentials.credentials.strip()
    configured = request.app.state.settings.bootstrap_admin_key
    if configured is not None and hmac.compare_digest(key.encode(), configured.get_secret_value().encode()):
        return Principal(BOOTSTRAP_PRINCIPAL, Role.ADMIN)
    with request.app.state.engine.connect() as conn:
        principal = api_keys.authenticate(conn, key)
    if principal is None:
        raise Unauthenticated("This API key is not valid.", code="invalid_api_key")
    return principal


def require_role(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and refuses roles below ``role``."""

    async def dependency(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if not principal.allows(role):
            raise Forbidden(
                f"This action needs the {role.label} role.",
                code="forbidden",
                details={"required_role": role.label, "your_role": principal.role.label},
            )
        return principal

    return dependency


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
AppSettings = Annotated[Settings, Depends(settings)]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
Support = Annotated[Principal, Depends(require_role(Role.SUPPORT))]
Finance = Annotated[Principal, Depends(require_role(Role.FINANCE))]
