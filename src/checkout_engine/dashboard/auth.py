"""Who is asking: the staff member behind the session cookie, with the role their account has now (a demotion or
a disabled account takes effect on the next request), and the CSRF check every form post passes first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request

from checkout_engine.admin.roles import Principal, Role
from checkout_engine.dashboard import queries
from checkout_engine.dashboard.cookies import Session, read_session

LOGIN_PATH = "/ops/login"


class Refusal(Exception):
    """Ends a dashboard request early with an HTML answer: a refusal page, or a redirect to ``location``."""

    def __init__(self, status: int, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location


@dataclass(frozen=True, slots=True)
class Staff:
    principal: Principal
    csrf: str

    def may(self, role: str) -> bool:
        """For templates: whether to show a control that needs ``role``."""
        return self.principal.allows(Role.parse(role))


def login_redirect(request: Request) -> Refusal:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    back = here if request.method == "GET" else "/ops/"
    return Refusal(303, "Log in first.", location=f"{LOGIN_PATH}?next={quote(back, safe='')}")


def _staff(request: Request, session: Session | None) -> Staff:
    if session is None or session.email is None:
        raise login_redirect(request)
    with request.app.state.engine.connect() as conn:
        principal = queries.active_staff(conn, session.email)
    if principal is None:
        raise login_redirect(request)
    return Staff(principal, session.csrf)


def staff_page(request: Request) -> Staff:
    """For pages: the logged-in staff member, else a redirect to the login form."""
    return _staff(request, read_session(request))


def staff_form(request: Request, csrf_token: Annotated[str, Form()] = "") -> Staff:
    """For form posts: the token must be the one bound to this session, or nothing is done (403)."""
    session = read_session(request)
    if session is None or not session.token_matches(csrf_token):
        raise Refusal(403, "This form did not come from your dashboard session. Reload the page and try again.")
    return _staff(request, session)


def require(staff: Staff, role: Role) -> None:
    if not staff.principal.allows(role):
        raise Refusal(403, f"This needs the {role.label} role; yours is {staff.principal.role.label}.")


PageStaff = Annotated[Staff, Depends(staff_page)]
FormStaff = Annotated[Staff, Depends(staff_form)]
