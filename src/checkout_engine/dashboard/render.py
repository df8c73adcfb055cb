"""Pages and redirects: the templates with their filters, and actions that go back with a notice of how they
went."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from checkout_engine.dashboard.auth import Staff
from checkout_engine.dashboard.cookies import Notice, clear_notice, read_notice, set_notice
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError
from checkout_engine.money import Money, MoneyError

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def money(minor: int | None, currency: str) -> str:
    if minor is None:
        return "—"
    try:
        return str(Money(int(minor), currency))
    except MoneyError:
        return f"{minor} {currency}"


def when(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def age(seconds: float) -> str:
    """How long something has waited, to the minute: ``3 d 2 h``, ``2 h 5 min``, ``4 min``."""
    minutes = int(seconds // 60)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


TEMPLATES.env.filters.update(money=money, when=when, pretty=pretty, age=age)


def page(request: Request, name: str, staff: Staff | None, *, http_status: int = 200, **context: Any) -> Response:
    response = TEMPLATES.TemplateResponse(
        request, name, {"staff": staff, "notice": read_notice(request), **context}, status_code=http_status
    )
    clear_notice(request, response)
    return response


def redirect(request: Request, location: str, notice: Notice | None = None) -> Response:
    """After a form post: see-other, so a reload of the next page never repeats the action."""
    response = RedirectResponse(location, status_code=303)
    if notice is not None:
        set_notice(request, response, notice)
    return response


def act(request: Request, back: str, work: Callable[[UnitOfWork], str]) -> Response:
    """Run an action in a unit of work of its own, committed when it returns, then go back to ``back`` with what
    came of it: its message, or why the domain refused it (and then nothing was committed)."""
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            message = work(uow)
            uow.commit()
    except CheckoutError as error:
        return redirect(request, back, Notice(False, error.message))
    return redirect(request, back, Notice(True, message))
