"""The one check all text input passes before anything reads it.

No text may hold NUL (PostgreSQL refuses it in text), another control character or a lone surrogate (neither can
be stored or printed); a URL must decode to UTF-8. The URL's path and query are checked here before routing, so
no route, id lookup or filter ever sees them; JSON bodies are checked as they are validated (``schemas.Body``).
Lengths are each field's own, declared in its schema or parameter."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from checkout_engine.errors import error_body

# Tab, newline and carriage return are text in a body (an address line may wrap); nothing else below space is.
_CONTROLS_IN_BODY = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROLS_IN_URL = r"\x00-\x1f\x7f"
_FORBIDDEN_IN_BODY = re.compile(rf"[{_CONTROLS_IN_BODY}\ud800-\udfff]")
_FORBIDDEN_IN_URL = re.compile(rf"[{_CONTROLS_IN_URL}]")
# The same rules as patterns, for the OpenAPI description of each text field and text parameter (a lone surrogate
# cannot be written in JSON Schema's patterns; it is refused all the same).
BODY_TEXT_PATTERN = rf"^[^{_CONTROLS_IN_BODY}]*$"
URL_TEXT_PATTERN = rf"^[^{_CONTROLS_IN_URL}]*$"
MAX_QUERY_BYTES = 8192

PROBLEM = "holds a character no text may hold (NUL, a control character or a lone surrogate)"


def body_text_problem(value: object, where: str = "") -> str | None:
    """Where in a decoded JSON value (keys included) a forbidden character sits, or None."""
    for path, text in _strings(value, where):
        if _FORBIDDEN_IN_BODY.search(text):
            return path or "body"
    return None


def _strings(value: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            yield inner, str(key)
            yield from _strings(item, inner)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}.{index}" if where else str(index))


def url_problem(raw_path: bytes, query: bytes) -> tuple[int, str, str] | None:
    """(status, code, message) for a path or query string no handler should see, or None."""
    if len(query) > MAX_QUERY_BYTES:
        return 400, "query_too_long", f"The query string is longer than {MAX_QUERY_BYTES} bytes."
    parts = [raw_path, *(part for pair in query.split(b"&") for part in pair.split(b"=", 1))]
    for part in parts:
        try:
            text = unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return 400, "malformed_url", "The URL has percent-escapes that are not UTF-8 text."
        if _FORBIDDEN_IN_URL.search(text):
            return 422, "invalid_characters", f"The URL {PROBLEM}."
    return None


class UrlText:
    """Refuses a request whose path or query string breaks the rules above, before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            problem = url_problem(raw_path, scope.get("query_string", b""))
            if problem is not None:
                status, code, message = problem
                payload = json.dumps(error_body(code, message)).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": payload})
                return
        await self.app(scope, receive, send)
