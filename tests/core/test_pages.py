"""Kernel pages: landing redirect by role, sign-in and lockout, elder mode, audit trail, and the
security properties every page must have (CSP header, no inline script or style)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from careloop.core import audit
from careloop.core.middleware import ELDER_COOKIE
from careloop.core.models import AuditEvent
from careloop.core.roles import Role
from tests.conftest import PASSWORD, make_user


def english(client) -> None:
    """Pages follow the language switch (a cookie), not the browser's Accept-Language."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("wang_user", "/r/"),
        ("zhao_user", "/r/"),
        ("doctor_a", "/w/"),
        ("nurse_a", "/w/"),
        ("cashier", "/w/"),
        ("director", "/console/"),
        ("auditor", "/console/"),
        ("admin", "/console/"),
    ],
)
def test_home_sends_each_role_to_its_portal(client, cast, persona, target):
    client.force_login(getattr(cast, persona))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_home_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_page_states_the_failure_limit(client, db, settings):
    english(client)
    response = client.get("/login/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"after {settings.AXES_FAILURE_LIMIT} wrong passwords" in text
    assert 'action="/i18n/setlang/"' in text


def test_login_form_signs_in_and_lands_on_the_portal(client, cast):
    response = client.post("/login/", {"username": "wang", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/r/"


def test_wrong_password_shows_an_error_and_signs_nobody_in(client, cast):
    english(client)
    response = client.post("/login/", {"username": "wang", "password": "nope"})
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account(client, cast, settings):
    english(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "wang", "password": "nope"})
    response = client.post("/login/", {"username": "wang", "password": PASSWORD})
    assert response.status_code == 429
    assert "core/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client, cast):
    client.force_login(cast.wang_user)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


# ---- elder mode ---------------------------------------------------------------------------


def test_elder_mode_toggle_sets_cookie_and_marks_the_page(client, cast):
    client.force_login(cast.wang_user)
    response = client.post("/elder-mode/", {"elder": "1", "next": "/r/"})
    assert response.status_code == 302
    assert response["Location"] == "/r/"
    cookie = response.cookies[ELDER_COOKIE]
    assert cookie.value == "1"
    assert cookie["max-age"] == 365 * 24 * 3600
    page = client.get("/r/").content.decode()
    assert re.search(r'<html lang="zh-hans" class="elder">', page)
    assert 'name="elder" value="0"' in page  # the switch now offers to turn it off

    response = client.post("/elder-mode/", {"elder": "0", "next": "/r/"})
    assert response.cookies[ELDER_COOKIE].value == ""
    assert 'class="elder"' not in client.get("/r/").content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_elder_mode_never_redirects_off_site(client, db, target):
    response = client.post("/elder-mode/", {"elder": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_elder_mode_works_before_sign_in(client, db):
    response = client.post("/elder-mode/", {"elder": "1", "next": "/login/"})
    assert response["Location"] == "/login/"
    assert 'class="elder"' in client.get("/login/").content.decode()


def test_elder_mode_is_post_only(client, db):
    assert client.get("/elder-mode/?elder=1").status_code == 405


# ---- console: audit trail -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("auditor", 200),
        ("director", 200),
        ("admin", 200),
        ("doctor_a", 403),
        ("cashier", 403),
        ("wang_user", 403),
    ],
)
def test_audit_trail_access(client, cast, persona, status):
    client.force_login(getattr(cast, persona))
    assert client.get("/console/audit/").status_code == status


@pytest.mark.parametrize(
    ("role", "status"), [(Role.SYSTEM_ADMIN, 200), (Role.FINANCE_AUDITOR, 403)]
)
def test_audit_trail_access_other_console_roles(client, cast, role, status):
    client.force_login(make_user("someone", role, community=cast.east))
    assert client.get("/console/audit/").status_code == status


def test_audit_trail_filters_by_action_and_pages_by_50(client, cast):
    for n in range(60):
        audit.record(actor=cast.director, action="careloop.test.ping", detail={"n": n})
    client.force_login(cast.auditor)

    first = client.get("/console/audit/", {"action": "careloop.test.ping"})
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"].object_list) == 50
    assert {e.action for e in first.context["page"]} == {"careloop.test.ping"}
    assert "?action=careloop.test.ping&amp;page=2" in first.content.decode()

    second = client.get("/console/audit/", {"action": "careloop.test.ping", "page": 2})
    assert len(second.context["page"].object_list) == 10

    created = client.get("/console/audit/", {"action": "careloop.resident.created"})
    assert created.context["page"].paginator.count == 4
    everything = client.get("/console/audit/")
    assert everything.context["page"].paginator.count == AuditEvent.objects.count()


def test_audit_trail_newest_first(client, cast):
    last = audit.record(actor=cast.director, action="careloop.test.last")
    client.force_login(cast.auditor)
    response = client.get("/console/audit/")
    assert response.context["page"].object_list[0] == last


# ---- every page: CSP header, no inline script, no inline style, no on* handler -------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)

PAGES = [
    (None, "/login/"),
    ("wang_user", "/r/"),
    ("wang_user", "/r/family/{li}/"),
    ("doctor_a", "/w/"),
    ("doctor_a", "/w/residents/"),
    ("doctor_a", "/w/residents/?q=王"),
    ("doctor_a", "/w/residents/{wang}/"),
    ("doctor_a", "/w/residents/new/"),
    ("cashier", "/w/"),
    ("director", "/console/"),
    ("auditor", "/console/audit/"),
    ("cashier", "/w/residents/"),  # 403 page
    ("doctor_a", "/w/residents/{zhao}/"),  # 404 page
]


@pytest.mark.parametrize(("persona", "url"), PAGES)
def test_every_page_has_csp_and_no_inline_code(client, cast, persona, url):
    if persona:
        client.force_login(getattr(cast, persona))
    url = url.format(li=cast.li.public_id, wang=cast.wang.public_id, zhao=cast.zhao.public_id)
    response = client.get(url)
    assert response.status_code in (200, 403, 404)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    html = response.content.decode()
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_STYLE.findall(html) == []
    assert EVENT_HANDLER.findall(html) == []
    assert 'name="htmx-config"' in html
    assert "/static/django_htmx/htmx-2.min.js" in html


def test_pages_are_chinese_whatever_the_browser_prefers(client, db):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "登录" in html
    english(client)
    assert '<html lang="en"' in client.get("/login/").content.decode()


def test_the_api_follows_accept_language(client, db):
    english_body = client.post(
        "/api/v1/auth/token", {}, "application/json", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    chinese_body = client.post("/api/v1/auth/token", {}, "application/json").json()
    assert english_body["fields"]["username"] == ["This field is required."]
    assert chinese_body["fields"]["username"] == ["这个字段是必填项。"]


def test_language_switch_posts_to_setlang(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert '<html lang="en"' in client.get("/login/").content.decode()
