"""One log line per request, naming the route's template (``/v1/carts/{cart_id}``), never the path as sent: cart
ids, order ids with their tokens and download grants are capabilities, and a log must grant nothing. (uvicorn's own
access log, which writes raw paths, is off.)"""

from __future__ import annotations

import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("checkout_engine.access")
UNMATCHED = "(no route)"  # a 404 for a path no route knows: what was asked for is not repeated


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")  # set by the router on the scope it was given, once a route matched
            log.info(
                "http_request",
                method=scope["method"],
                route=getattr(route, "path", UNMATCHED),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
