"""Structured JSON logs: one object per line, with the request id, order id and provider event id where known,
and no secrets or full tokens, ever."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

SECRET_KEYS = re.compile(r"(token|secret|password|authorization|api_key|license_key|grant)", re.IGNORECASE)
SECRET_VALUES = re.compile(r"\b(sk_(?:test|live)_|pk_(?:test|live)_|ce_sk_|whsec_)[A-Za-z0-9_\-]{4,}")
SHOWN = 4  # characters of a secret kept to tell two apart in a log


def _mask(value: str) -> str:
    return SECRET_VALUES.sub(lambda m: m.group(1) + "…", value)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop what must never be logged: secret-looking fields lose all but a prefix, secret-looking strings too."""
    for key, value in list(event.items()):
        if SECRET_KEYS.search(key) and value is not None:
            event[key] = f"{str(value)[:SHOWN]}…"
        elif isinstance(value, str):
            event[key] = _mask(value)
    return event


def configure(*, json: bool = True, level: int = logging.INFO) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # before redact: a traceback's text is masked like any other
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Looked up per logger, not cached: whoever replaces sys.stdout (a test runner) is written to.
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
