"""Logging in with a staff account, and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from checkout_engine.admin import users
from checkout_engine.dashboard import queries
from checkout_engine.dashboard.auth import FormStaff, Refusal
from checkout_engine.dashboard.cookies import Notice, Session, end_session, read_session, write_session
from checkout_engine.dashboard.forms import local_path
from checkout_engine.dashboard.render import page, redirect

router = APIRouter()
HOME = "/ops/"
Field = Annotated[str, Form()]


def _login_form(request: Request, session: Session, target: str, *, status: int = 200, problem: str = "") -> Response:
    response = page(request, "login.html", None, http_status=status, csrf=session.csrf, next=target, problem=problem)
    write_session(request, response, session)
    return response


@router.get("/login")
def login_form(request: Request, next: str = HOME) -> Response:
    target = local_path(next, HOME)
    session = read_session(request)
    if session is not None and session.email is not None:
        with request.app.state.engine.connect() as conn:
            if queries.active_staff(conn, session.email) is not None:
                return redirect(request, target)
    return _login_form(request, session or Session.start(), target)


@router.post("/login")
def login(
    request: Request, email: Field = "", password: Field = "", next: Field = HOME, csrf_token: Field = ""
) -> Response:
    session = read_session(request)
    if session is None or not session.token_matches(csrf_token):
        raise Refusal(403, "This login form has expired. Reload the page and try again.")
    target = local_path(next, HOME)
    with request.app.state.engine.connect() as conn:
        principal = users.authenticate(conn, email, password) if email and password else None
    if principal is None:
        return _login_form(request, session, target, status=401, problem="Wrong email or password.")
    response = redirect(request, target)
    # A new session (and CSRF token) at login, so nothing planted in the browser before carries over.
    write_session(request, response, Session.start(email.strip().lower()))
    return response


@router.post("/logout")
def logout(request: Request, _: FormStaff) -> Response:
    response = redirect(request, "/ops/login", Notice(True, "You are logged out."))
    end_session(response)
    return response
