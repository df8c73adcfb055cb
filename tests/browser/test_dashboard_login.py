"""Logging in and out: a signed, HttpOnly session cookie, security headers on every page, and nothing shown to a
wrong password or a forged cookie."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from checkout_engine.admin.roles import Role

Login = Callable[[Page, Role], None]


def test_a_page_asks_for_a_login_and_returns_to_it_with_a_signed_http_only_session(
    live: str, page: Page, staff: None
) -> None:
    page.goto(f"{live}/ops/orders?state=paid")
    expect(page).to_have_url(f"{live}/ops/login?next=%2Fops%2Forders%3Fstate%3Dpaid")
    page.get_by_label("Email").fill("support@shop.test")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live}/ops/orders?state=paid")
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()

    [session] = [c for c in page.context.cookies() if c["name"] == "ce_ops_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/ops"


def test_dashboard_pages_carry_security_headers(live: str, page: Page, login: Login) -> None:
    login(page, Role.VIEWER)
    response = page.goto(f"{live}/ops/")
    assert response is not None and response.status == 200
    headers = response.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"


def test_a_wrong_password_is_refused_without_saying_which_half_was_wrong(live: str, page: Page, staff: None) -> None:
    page.goto(f"{live}/ops/login")
    page.get_by_label("Email").fill("support@shop.test")
    page.get_by_label("Password").fill("not the password at all")
    with page.expect_response(lambda r: r.url.endswith("/ops/login") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    page.goto(f"{live}/ops/")
    expect(page).to_have_url(f"{live}/ops/login?next=%2Fops%2F")


def test_logging_out_ends_the_session_and_a_forged_cookie_is_no_login(live: str, page: Page, login: Login) -> None:
    login(page, Role.ADMIN)
    [session] = [c for c in page.context.cookies() if c["name"] == "ce_ops_session"]
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    page.goto(f"{live}/ops/")
    expect(page.get_by_role("heading", name="Staff login")).to_be_visible()

    body, _, mac = session["value"].partition(".")
    forged = {**session, "value": f"{body}.{'A' * len(mac)}"}
    page.context.add_cookies([forged])
    page.goto(f"{live}/ops/")
    expect(page.get_by_role("heading", name="Staff login")).to_be_visible()
