"""The one source of the current time, so tests can move it and every timestamp is UTC-aware."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
