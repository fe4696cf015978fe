"""Pages: the resident's and the workbench's inbox, marking read, the care team's phone tasks,
and the contact preferences on the record page and in the portal. Query counts stay flat."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from careloop.notifications import services
from careloop.notifications.models import Message
from careloop.residents.models import Resident

from .conftest import NOW, send_text


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def no_inline_code(html: str) -> None:
    """CSP: no inline script or style on our pages."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html
    assert "<style" not in html


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# ---- inbox --------------------------------------------------------------------------------------


def test_resident_inbox_lists_messages_newest_first_with_unread_count(client, cast, frozen):
    english(client)
    send_text(resident=cast.wang, key="a")
    services.notify(
        actor=None, kind="demand.accepted", context={"service": "上门换药", "clinician": "王医生"},
        dedupe_key="b", resident=cast.wang,
    )  # fmt: skip
    send_text(resident=cast.zhao, key="c")  # not wang's
    client.force_login(cast.wang_user)
    response = client.get("/r/messages/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 unread messages" in html
    # Messages are written in the recipient's language when sent (Chinese), whatever the page's.
    assert html.index("您的上门换药需求已由王医生接单。") < html.index("明天社区义诊。")
    assert html.count('name="csrfmiddlewaretoken"') >= 2
    assert 'href="/r/messages/"' in html  # the nav link
    assert re.search(r'My messages\s*<span class="count">2</span>', html)
    no_inline_code(html)


def test_resident_home_links_the_inbox_and_the_contact_preferences(client, cast, frozen):
    client.force_login(cast.wang_user)
    html = client.get("/r/").content.decode()
    assert 'href="/r/messages/"' in html
    assert 'href="/r/contact/"' in html


def test_mark_read_by_post(client, cast, frozen):
    in_app = send_text(resident=cast.wang)[0]
    client.force_login(cast.wang_user)
    assert client.get(f"/r/messages/{in_app.public_id}/read/").status_code == 405
    response = client.post(f"/r/messages/{in_app.public_id}/read/")
    assert response.status_code == 302
    assert response["Location"] == "/r/messages/"
    assert Message.objects.get(pk=in_app.pk).read_at == NOW


def test_mark_read_needs_the_csrf_token(cast, frozen):
    in_app = send_text(resident=cast.wang)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.wang_user)
    assert client.post(f"/r/messages/{in_app.public_id}/read/").status_code == 403
    assert Message.objects.get(pk=in_app.pk).read_at is None


def test_another_residents_message_is_not_found(client, cast, frozen):
    in_app = send_text(resident=cast.wang)[0]
    client.force_login(cast.zhao_user)
    assert client.post(f"/r/messages/{in_app.public_id}/read/").status_code == 404
    assert Message.objects.get(pk=in_app.pk).read_at is None


def test_inbox_access(client, cast):
    assert client.get("/r/messages/").status_code == 302  # to the sign-in page
    client.force_login(cast.doctor_a)
    assert client.get("/r/messages/").status_code == 403
    assert client.get("/w/messages/").status_code == 200
    client.force_login(cast.wang_user)
    assert client.get("/w/messages/").status_code == 403


def test_staff_inbox_shows_team_messages(client, cast, frozen):
    english(client)
    services.notify(
        actor=None, kind="demand.filed",
        context={"resident": "王秀英", "service": "上门换药", "due": "2月10日 10:00"},
        dedupe_key="demand:1:filed", team=cast.team_a,
    )  # fmt: skip
    client.force_login(cast.nurse_a)
    html = client.get("/w/messages/").content.decode()
    assert "新需求：王秀英" in html  # written in Chinese when sent, whatever the page language
    assert "王秀英需要上门换药，请在2月10日 10:00前响应。" in html
    assert re.search(r'Messages\s*<span class="count">1</span>', html)
    message = Message.objects.get(user=cast.nurse_a)
    response = client.post(f"/w/messages/{message.public_id}/read/", {"next": "/w/messages/"})
    assert response["Location"] == "/w/messages/"
    no_inline_code(client.get("/w/messages/").content.decode())


def test_inbox_query_count_does_not_grow(client, cast, frozen):
    client.force_login(cast.wang_user)
    for n in range(2):
        send_text(resident=cast.wang, key=f"few:{n}")
    few = queries(client, "/r/messages/")
    for n in range(15):
        send_text(resident=cast.wang, key=f"many:{n}")
    assert queries(client, "/r/messages/") == few


# ---- phone tasks --------------------------------------------------------------------------------


@pytest.fixture
def calls(cast, frozen):
    """Team A calls 王秀英 (prefers a call, hard of hearing), 李小明 (no phone) and — named by
    the caller — 赵建国 of team B, whose record team A cannot see."""
    Resident.objects.filter(pk=cast.wang.pk).update(
        contact_channel="phone", contact_note="耳背，请打电话", preferred_time_of_day="morning"
    )
    wang = Resident.objects.get(pk=cast.wang.pk)
    services.notify(
        actor=None, kind="demand.reminder",
        context={"service": "空腹血糖检测", "time": "9:00", "note": "请空腹前来。"},
        dedupe_key="demand:1:reminder", resident=wang,
    )  # fmt: skip
    send_text(resident=cast.li, key="li")
    Resident.objects.filter(pk=cast.zhao.pk).update(contact_channel="phone")
    send_text(resident=Resident.objects.get(pk=cast.zhao.pk), key="zhao", team=cast.team_a)
    return {m.resident.name: m for m in Message.objects.filter(channel="phone_call")}


def test_phone_tasks_page(client, cast, calls):
    english(client)
    client.force_login(cast.doctor_a)
    response = client.get("/w/calls/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/w/residents/{cast.wang.public_id}/"' in html
    assert 'href="tel:13800138000"' in html
    assert '<p class="contact-note" role="note">耳背，请打电话</p>' in html
    assert "Best time to call: Morning" in html
    assert "您的空腹血糖检测预约在明天 9:00。请空腹前来。" in html
    assert "No mobile number on the record" in html  # 李小明
    # 赵建国 is not in team A's care: masked name and number only.
    assert cast.zhao.masked_name in html
    assert "139****5678" in html
    assert "13912345678" not in html and "赵建国" not in html
    assert html.count('action="/w/calls/') == 3
    no_inline_code(html)


def test_the_workbench_nav_links_the_phone_tasks(client, cast):
    client.force_login(cast.doctor_a)
    assert 'href="/w/calls/"' in client.get("/w/").content.decode()


def test_other_teams_see_no_task(client, cast, calls):
    client.force_login(cast.doctor_b)
    html = client.get("/w/calls/").content.decode()
    assert "13800138000" not in html
    assert 'action="/w/calls/' not in html
    call = calls["王秀英"]
    response = client.post(f"/w/calls/{call.public_id}/done/", {"outcome": "已接通"})
    assert response.status_code == 404
    assert Message.objects.get(pk=call.pk).done_at is None


def test_mark_a_call_done(client, cast, calls):
    client.force_login(cast.nurse_a)
    call = calls["王秀英"]
    response = client.post(f"/w/calls/{call.public_id}/done/", {"outcome": "已接通，明早空腹来"})
    assert (response.status_code, response["Location"]) == (302, "/w/calls/")
    call.refresh_from_db()
    assert (call.status, call.done_by, call.outcome) == ("sent", cast.nurse_a, "已接通，明早空腹来")
    html = client.get("/w/calls/").content.decode()
    assert html.count('action="/w/calls/') == 2
    assert "已接通，明早空腹来" in html  # recent calls


def test_an_empty_outcome_is_a_form_error(client, cast, calls):
    english(client)
    client.force_login(cast.doctor_a)
    call = calls["李小明"]
    response = client.post(f"/w/calls/{call.public_id}/done/", {"outcome": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Message.objects.get(pk=call.pk).status == "queued"


def test_phone_tasks_query_count_does_not_grow(client, cast, frozen):
    client.force_login(cast.doctor_a)
    for n in range(2):
        send_text(resident=cast.li, key=f"few:{n}")
    few = queries(client, "/w/calls/")
    for n in range(12):
        send_text(resident=cast.li, key=f"many:{n}")
    services.complete_phone_task(
        actor=cast.doctor_a, message=Message.objects.first(), outcome="已接通"
    )
    assert queries(client, "/w/calls/") == few


# ---- contact preferences on the record page and in the portal ----------------------------------


def test_record_page_shows_the_contact_note_and_a_form(client, cast):
    english(client)
    Resident.objects.filter(pk=cast.wang.pk).update(
        contact_channel="phone", has_smartphone=False, contact_note="耳背，请打电话"
    )
    client.force_login(cast.doctor_a)
    html = client.get(f"/w/residents/{cast.wang.public_id}/").content.decode()
    assert '<span class="tag tag-warn" role="note">耳背，请打电话</span>' in html
    assert "Prefers a phone call" in html and "No smartphone" in html
    assert f'action="/w/residents/{cast.wang.public_id}/contact/"' in html


def test_staff_change_the_preferences_on_the_record_page(client, cast):
    client.force_login(cast.doctor_a)
    url = f"/w/residents/{cast.wang.public_id}/contact/"
    data = {"contact_channel": "phone", "preferred_time_of_day": "afternoon",
            "contact_note": "耳背，请打电话"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    wang = Resident.objects.get(pk=cast.wang.pk)
    assert (wang.contact_channel, wang.has_smartphone, wang.contact_note) == (
        "phone", False, "耳背，请打电话",
    )  # fmt: skip


def test_a_refused_change_shows_the_error_on_the_record_page(client, cast):
    english(client)
    client.force_login(cast.doctor_a)
    response = client.post(
        f"/w/residents/{cast.wang.public_id}/contact/",
        {"contact_channel": "wechat", "preferred_time_of_day": "any"},  # no smartphone ticked
    )
    assert response.status_code == 400
    assert "The app and WeChat need a smartphone." in response.content.decode()
    assert Resident.objects.get(pk=cast.wang.pk).contact_channel == "sms"


def test_auditors_and_other_teams_cannot_post_the_form(client, cast):
    url = f"/w/residents/{cast.wang.public_id}/contact/"
    data = {"contact_channel": "phone", "preferred_time_of_day": "any"}
    client.force_login(cast.auditor)
    assert client.post(url, data).status_code == 403
    client.force_login(cast.doctor_b)
    assert client.post(url, data).status_code == 404
    assert Resident.objects.get(pk=cast.wang.pk).contact_channel == "sms"


def test_resident_edits_their_own_preferences_in_the_portal(client, cast):
    english(client)
    client.force_login(cast.wang_user)
    html = client.get("/r/contact/").content.decode()
    assert "How we contact you" in html
    no_inline_code(html)
    data = {"contact_channel": "app", "has_smartphone": "on", "preferred_time_of_day": "any",
            "contact_note": ""}  # fmt: skip
    response = client.post("/r/contact/", data)
    assert (response.status_code, response["Location"]) == (302, "/r/contact/")
    assert Resident.objects.get(pk=cast.wang.pk).contact_channel == "app"


def test_a_guardian_edits_a_dependants_preferences(client, cast):
    client.force_login(cast.wang_user)
    url = f"/r/family/{cast.li.public_id}/contact/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"contact_channel": "phone", "preferred_time_of_day": "evening"})
    assert response.status_code == 302
    assert Resident.objects.get(pk=cast.li.pk).preferred_time_of_day == "evening"
    client.force_login(cast.zhao_user)
    assert client.get(url).status_code == 404
