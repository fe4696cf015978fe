"""Issue 5 acceptance in a real browser: a resident files a need in the portal (on a phone,
with the microphone filling the description); her family doctor accepts it in the workbench,
schedules it into a slot, starts and completes it; the resident sees each step on her need's
page (已受理, then 已安排 with the time, then 已完成). No CSP violation anywhere.

Also: the microphone button is shown only where the browser offers speech recognition."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.utils import timezone

from tests.e2e.test_portals import sign_in

pytestmark = pytest.mark.e2e

ILLNESS = "basic.common_illness"

# Stands in for the browser's speech recognition (headless Chromium has no speech service):
# hearing "膝盖疼，上楼梯更疼" as soon as it starts. An init script is not subject to the
# page's Content-Security-Policy.
FAKE_SPEECH = """
window.webkitSpeechRecognition = function () {};
window.webkitSpeechRecognition.prototype.start = function () {
  var self = this;
  window.__speechLang = self.lang;
  setTimeout(function () {
    self.onstart && self.onstart();
    self.onresult && self.onresult({ results: [[{ transcript: "膝盖疼，上楼梯更疼" }]] });
    self.onend && self.onend();
  }, 20);
};
window.webkitSpeechRecognition.prototype.stop = function () {};
window.SpeechRecognition = window.webkitSpeechRecognition;
"""
NO_SPEECH = "delete window.SpeechRecognition; delete window.webkitSpeechRecognition;"


@pytest.fixture
def clinic(e2e_cast):
    """Reference data (a transactional test's flush removes what the migrations loaded), the
    east centre and doctor_a as its family doctor 王医生, seeing patients every day from
    07:00 to 21:00 for the next eight days, all made through the services."""
    from careloop.catalogue import services
    from careloop.catalogue.models import PublicHoliday, Service
    from careloop.core import clock

    director = e2e_cast.director
    if not Service.objects.exists():
        services.load_catalogue(actor=None)
    if not PublicHoliday.objects.exists():
        services.load_holidays(actor=None)
    centre = services.create_organisation(
        actor=director, code="east.centre", name_zh="东湖社区卫生服务中心",
        kind="community_centre", community=e2e_cast.east, latitude="30.5600",
        longitude="114.3700",
    )  # fmt: skip
    doctor = services.create_provider(
        actor=director, organisation=centre, name="王医生", kind="practitioner", sex="M",
        title="主治医师", user=e2e_cast.doctor_a, skills=["doctor"], services=[ILLNESS],
    )  # fmt: skip
    today = clock.today()
    for weekday in range(7):
        services.create_weekly_schedule(
            actor=director, provider=doctor, weekday=weekday, start_time=time(7, 0),
            end_time=time(21, 0), slot_minutes=60, mode="clinic", valid_from=today,
            location="全科诊室2", runs_on_holidays=True,
        )  # fmt: skip
    services.generate_slots(actor=director, provider=doctor, start=today, days=8)
    return doctor


def step_state(page, status: str) -> str:
    return page.get_attribute(f".demand-step[data-step='{status}']", "class") or ""


def current_step(page) -> str:
    return page.get_attribute(".demand-step[aria-current='step']", "data-step") or ""


def test_a_need_goes_round_the_loop_and_the_resident_sees_each_step(
    live_server, e2e_cast, clinic, phone_page, desk_page, console, shots
):
    from playwright.sync_api import expect

    from careloop.demands.models import Demand

    # ---- the resident files a need on her phone ------------------------------------------
    phone = phone_page
    phone.add_init_script(FAKE_SPEECH)
    sign_in(phone, live_server, "wang")
    assert phone.inner_text(".demand-home h2").startswith("我的需求")
    phone.click(".demand-home a[href='/r/demands/new/']")
    phone.wait_for_url(f"{live_server.url}/r/demands/new/")
    assert phone.inner_text("h1") == "提出需求"
    phone.select_option("#id_service", ILLNESS)
    # The microphone fills the description (zh-CN recognition).
    assert phone.is_visible("button.btn-speech")
    phone.click("button.btn-speech")
    expect(phone.locator("#id_description")).to_have_value("膝盖疼，上楼梯更疼")
    assert phone.evaluate("window.__speechLang") == "zh-CN"
    phone.check("input[name='modes'][value='clinic']")
    phone.check("input[name='time_of_day'][value='any']")
    phone.screenshot(path=str(shots / "demand-new.png"), full_page=True)
    with phone.expect_navigation():
        phone.click("form.demand-form button[type=submit]")
    assert re.search(r"/r/demands/\w+/$", phone.url)
    demand = Demand.objects.get()
    assert (demand.resident, demand.service.code, demand.modes) == (
        e2e_cast.wang,
        ILLNESS,
        ["clinic"],
    )
    assert demand.description == "膝盖疼，上楼梯更疼"
    assert "需求已提交" in phone.inner_text(".messages")
    assert current_step(phone) == "submitted"
    assert "已提交" in phone.inner_text(".demand-step[data-step='submitted']")
    assert phone.locator(".offer-card").count() == 3  # exact matches, earliest first
    phone.screenshot(path=str(shots / "demand-submitted.png"), full_page=True)

    # ---- her family doctor accepts it in the workbench ----------------------------------
    desk = desk_page
    sign_in(desk, live_server, "doctor_a")
    desk.goto(f"{live_server.url}/w/demands/")
    desk.click(f"a.row-link[href='/w/demands/{demand.public_id}/']")
    desk.wait_for_url(f"{live_server.url}/w/demands/{demand.public_id}/")
    assert desk.inner_text("form.action-accept button[type=submit]") == "受理"
    with desk.expect_navigation():
        desk.click("form.action-accept button[type=submit]")
    desk.screenshot(path=str(shots / "demand-workbench-accepted.png"), full_page=True)

    phone.reload()
    assert current_step(phone) == "accepted"
    assert "已受理" in phone.inner_text(".demand-step[data-step='accepted']")
    assert phone.locator(".demand-step[data-step='accepted'] time").count() == 1
    assert "受理人" in phone.inner_text(".demand-serving")

    # ---- … schedules it into a slot (the first time offered is preselected) -------------
    assert desk.inner_text("form.action-schedule button[type=submit]") == "安排"
    with desk.expect_navigation():
        desk.click("form.action-schedule button[type=submit]")
    demand.refresh_from_db()
    assert demand.status == "scheduled"
    slot = demand.booking.slot
    start = timezone.localtime(slot.start)

    phone.reload()
    assert current_step(phone) == "scheduled"
    assert "已安排" in phone.inner_text(".demand-step[data-step='scheduled']")
    serving = phone.inner_text(".demand-serving")
    assert f"{start.month}月{start.day}日" in serving and f"{start:%H:%M}" in serving
    assert "王医生" in serving and "东湖社区卫生服务中心 全科诊室2" in serving
    assert f"已安排在 {start.month}月{start.day}日" in phone.inner_text(".next-step")
    assert phone.locator(".offer-card").count() == 0
    phone.screenshot(path=str(shots / "demand-scheduled.png"), full_page=True)

    # ---- … starts and completes the service ---------------------------------------------
    assert desk.inner_text("form.action-start button[type=submit]") == "开始服务"
    with desk.expect_navigation():
        desk.click("form.action-start button[type=submit]")
    phone.reload()
    assert current_step(phone) == "in_progress"
    assert desk.inner_text("form.action-complete button[type=submit]") == "完成"
    with desk.expect_navigation():
        desk.click("form.action-complete button[type=submit]")
    desk.screenshot(path=str(shots / "demand-workbench-completed.png"), full_page=True)

    phone.reload()
    assert current_step(phone) == "completed"
    assert "已完成" in phone.inner_text(".demand-step[data-step='completed']")
    for status in ("submitted", "accepted", "scheduled", "in_progress", "completed"):
        assert "is-done" in step_state(phone, status)
        assert phone.locator(f".demand-step[data-step='{status}'] time").count() == 1
    assert phone.locator(".demand-withdraw").count() == 0
    phone.screenshot(path=str(shots / "demand-completed.png"), full_page=True)

    # My needs lists it as done.
    phone.goto(f"{live_server.url}/r/demands/")
    assert "已完成" in phone.inner_text(f".demand-item[data-demand='{demand.public_id}']")

    assert console.csp_violations() == [], console.messages
    assert not [m for m in console.messages if m.startswith("pageerror")], console.messages


def test_the_microphone_is_hidden_without_speech_recognition(
    live_server, clinic, phone_page, console, shots
):
    page = phone_page
    page.add_init_script(NO_SPEECH)
    sign_in(page, live_server, "wang")
    page.goto(f"{live_server.url}/r/demands/new/?service={ILLNESS}")
    assert page.locator("button.btn-speech").count() == 1
    assert not page.is_visible("button.btn-speech")
    # Elder mode: the same form in large type still works.
    with page.expect_navigation():
        page.click(".elder-switch button")
    assert "elder" in page.get_attribute("html", "class").split()
    page.fill("#id_description", "想开降压药")
    page.screenshot(path=str(shots / "demand-new-elder.png"), full_page=True)
    with page.expect_navigation():
        page.click("form.demand-form button[type=submit]")
    assert current_step(page) == "submitted"
    assert console.csp_violations() == [], console.messages
