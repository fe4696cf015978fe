"""The three portals in a real browser: sign-in, the Chinese resident home, elder mode kept
across reloads, a doctor's search and record, and no Content-Security-Policy violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")


def test_resident_signs_in_and_sees_the_chinese_home(
    live_server, e2e_cast, phone_page, console, shots
):
    page = phone_page
    sign_in(page, live_server, "wang")
    assert page.url == f"{live_server.url}/r/"
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.inner_text("h1.greeting") == "王秀英，您好"
    body = page.inner_text("main")
    assert "我的健康档案" in body  # from our own zh-Hans catalogue
    assert "1949年12月31日" in body  # Chinese date format of the active locale
    assert "王医生团队" in body
    assert e2e_cast.wang.masked_id_number in body
    assert "李小明" in body
    assert page.evaluate("typeof window.htmx") == "object"
    page.screenshot(path=str(shots / "resident-home.png"), full_page=True)

    page.click(f"a[href='/r/family/{e2e_cast.li.public_id}/']")
    page.wait_for_url(re.compile(r"/r/family/"))
    assert "李小明" in page.inner_text("h1")
    assert console.csp_violations() == []


def test_elder_mode_persists_across_reloads(live_server, e2e_cast, phone_page, console, shots):
    page = phone_page
    sign_in(page, live_server, "wang")
    normal_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert page.get_attribute("html", "class") in (None, "", "js")

    with page.expect_navigation():
        page.click(".elder-switch button")
    assert "elder" in page.get_attribute("html", "class").split()
    page.reload()
    assert "elder" in page.get_attribute("html", "class").split()
    large_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large_size > normal_size
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["careloop_elder"]["value"] == "1"
    page.screenshot(path=str(shots / "resident-home-elder.png"), full_page=True)

    with page.expect_navigation():
        page.click(".elder-switch button")
    page.reload()
    assert "elder" not in (page.get_attribute("html", "class") or "").split()
    assert console.csp_violations() == []


def test_doctor_searches_and_opens_a_record(live_server, e2e_cast, desk_page, console, shots):
    page = desk_page
    sign_in(page, live_server, "doctor_a")
    assert page.url == f"{live_server.url}/w/"
    page.screenshot(path=str(shots / "workbench-home.png"), full_page=True)
    page.click("nav.mainnav a[href='/w/residents/']")
    page.wait_for_url(f"{live_server.url}/w/residents/")
    rows = page.locator("#resident-results tbody tr")
    assert rows.count() == 2

    # Typing searches through htmx: the results swap in place and the URL follows.
    with page.expect_response(lambda r: "/w/residents/?q=" in r.url):
        page.fill("#id_q", "王秀")
    # A locator assertion, not wait_for_function: Playwright evals string predicates while
    # polling, which the page's CSP (no 'unsafe-eval') refuses.
    expect(rows).to_have_count(1)
    assert "王秀英" in rows.first.inner_text()
    assert "q=" in page.url
    page.screenshot(path=str(shots / "workbench-list.png"), full_page=True)

    page.click("#resident-results a.row-link")
    page.wait_for_url(f"{live_server.url}/w/residents/{e2e_cast.wang.public_id}/")
    assert page.inner_text("h1") == "王秀英"
    body = page.inner_text("main")
    assert e2e_cast.wang.masked_id_number in body
    assert "13800138000" in body
    page.screenshot(path=str(shots / "workbench-record.png"), full_page=True)
    assert console.csp_violations() == []


def test_pages_raise_no_csp_violation(live_server, e2e_cast, desk_page, console, shots):
    page = desk_page
    sign_in(page, live_server, "director")
    assert page.url == f"{live_server.url}/console/"
    page.screenshot(path=str(shots / "console-home.png"), full_page=True)
    for path in (
        "/console/audit/",
        "/w/",
        "/w/residents/",
        f"/w/residents/{e2e_cast.zhao.public_id}/",
        "/w/residents/new/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert page.evaluate("typeof window.htmx") == "object"
        if path == "/console/audit/":
            page.screenshot(path=str(shots / "console-audit.png"), full_page=True)
    # A form error page (re-rendered with field errors) is clean too.
    page.fill("#id_name", "张三")
    page.fill("#id_id_number", "123")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.locator(".errorlist").count() >= 1
    page.screenshot(path=str(shots / "workbench-register-errors.png"), full_page=True)
    # Switching the language through the plain form (auto-submitted by our script).
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.get_attribute("html", "lang") == "en"
    assert console.csp_violations() == [], console.messages
    assert not [m for m in console.messages if m.startswith("pageerror")], console.messages
