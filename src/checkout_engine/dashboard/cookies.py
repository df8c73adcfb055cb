"""Signed cookies: the staff session (who, since when, its CSRF token) and a one-shot notice after an action.

A value is ``base64url(json).base64url(mac)`` with an HMAC-SHA256 over a purpose and the JSON, so a value signed
for one cookie is never accepted as another. Nothing secret is stored in them; they only need to be unforgeable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

SESSION_COOKIE = "ce_ops_session"
NOTICE_COOKIE = "ce_ops_notice"
COOKIE_PATH = "/ops"
SESSION_MAX_AGE_SECONDS = 8 * 3600  # one working day, then a new login
NOTICE_MAX_AGE_SECONDS = 60  # read by the page the action redirects to, a moment later
CSRF_TOKEN_BYTES = 32


def load_secret(configured: str | None) -> bytes:
    if configured:
        # Domain-separated, so the same value used as another secret elsewhere yields a different key.
        return hashlib.sha256(b"checkout-engine ops cookies\x00" + configured.encode()).digest()
    # Without one, logins last as long as this process and are not shared with other processes.
    return secrets.token_bytes(32)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, purpose: str, body: str) -> str:
        return _b64(hmac.new(self._secret, f"{purpose}\x00{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def unsign(self, purpose: str, value: str) -> dict[str, Any] | None:
        body, _, mac = value.partition(".")
        if not mac or not hmac.compare_digest(mac.encode(), self._mac(purpose, body).encode()):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None


def signer_of(request: Request) -> Signer:
    signer: Signer = request.app.state.ops_signer
    return signer


def _set(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax")


# -- The session ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    """``email`` is None before login: the login form needs a CSRF token too."""

    email: str | None
    csrf: str
    issued_at: int

    @classmethod
    def start(cls, email: str | None = None) -> Session:
        # A new token at login, so a token seen before it is worthless after it.
        return cls(email, secrets.token_urlsafe(CSRF_TOKEN_BYTES), int(time.time()))

    def token_matches(self, submitted: str) -> bool:
        return hmac.compare_digest(submitted.encode(), self.csrf.encode())


def read_session(request: Request) -> Session | None:
    value = request.cookies.get(SESSION_COOKIE)
    payload = signer_of(request).unsign("session", value) if value else None
    if payload is None:
        return None
    email, csrf, issued_at = payload.get("e"), payload.get("c"), payload.get("t")
    if not isinstance(csrf, str) or not isinstance(issued_at, int) or not isinstance(email, str | None):
        return None
    if not 0 <= time.time() - issued_at < SESSION_MAX_AGE_SECONDS:
        return None
    return Session(email, csrf, issued_at)


def write_session(request: Request, response: Response, session: Session) -> None:
    value = signer_of(request).sign("session", {"e": session.email, "c": session.csrf, "t": session.issued_at})
    _set(request, response, SESSION_COOKIE, value, SESSION_MAX_AGE_SECONDS)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")


# -- One-shot notices -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    ok: bool
    text: str


def set_notice(request: Request, response: Response, notice: Notice) -> None:
    value = signer_of(request).sign("notice", {"ok": notice.ok, "m": notice.text, "t": int(time.time())})
    _set(request, response, NOTICE_COOKIE, value, NOTICE_MAX_AGE_SECONDS)


def read_notice(request: Request) -> Notice | None:
    """The notice left for this page by the action before it, if it is genuine and fresh."""
    value = request.cookies.get(NOTICE_COOKIE)
    payload = signer_of(request).unsign("notice", value) if value else None
    if payload is None or not isinstance(payload.get("m"), str) or not isinstance(payload.get("t"), int):
        return None
    if time.time() - payload["t"] > NOTICE_MAX_AGE_SECONDS:
        return None
    return Notice(bool(payload.get("ok")), payload["m"])


def clear_notice(request: Request, response: Response) -> None:
    """A notice shows once: the page that shows it removes it."""
    if NOTICE_COOKIE in request.cookies:
        response.delete_cookie(NOTICE_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
