"""The catalogue in a real browser. Acceptance: a director adds a provider's weekly schedule
and sees the slots in the calendar. Also the console catalogue with htmx filters, the Excel
page and the resident's "services for me" on a phone; no CSP violation anywhere."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.test_portals import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def supply(e2e_cast):
    """Reference data (a transactional test's flush removes what the migrations loaded),
    the east centre and its family doctor, made through the services."""
    from careloop.catalogue import services
    from careloop.catalogue.models import PublicHoliday, Service

    if not Service.objects.exists():
        services.load_catalogue(actor=None)
    if not PublicHoliday.objects.exists():
        services.load_holidays(actor=None)
    centre = services.create_organisation(
        actor=e2e_cast.director, code="east.centre", name_zh="东湖社区卫生服务中心",
        kind="community_centre", community=e2e_cast.east,
    )  # fmt: skip
    doctor = services.create_provider(
        actor=e2e_cast.director, organisation=centre, name="王医生", kind="practitioner",
        sex="M", title="主治医师", skills=["doctor"],
        services=["basic.common_illness", "basic.chronic_refill"],
    )  # fmt: skip
    return doctor


def test_director_adds_a_weekly_schedule_and_sees_the_slots(
    live_server, supply, desk_page, console, shots
):
    from careloop.core import clock

    page = desk_page
    sign_in(page, live_server, "director")

    page.click("nav.mainnav a[href='/console/catalogue/']")
    page.wait_for_url(f"{live_server.url}/console/catalogue/")
    assert "常见病诊疗" in page.inner_text("#service-results")
    page.screenshot(path=str(shots / "catalogue-list.png"), full_page=True)

    # htmx filter: choosing a tier swaps the results in place and the URL follows.
    page.select_option("#id_tier", "development")
    page.wait_for_url(re.compile(r"tier=development"))
    expect(page.locator("#service-results")).not_to_contain_text("常见病诊疗")
    assert (
        "瑜伽" in page.inner_text("#service-results")
        or page.locator("#service-results tbody tr").count() > 0
    )

    page.goto(f"{live_server.url}/console/catalogue/providers/")
    page.click("a.row-link:has-text('王医生')")
    page.wait_for_url(re.compile(r"/week/"))
    assert page.locator(".slot").count() == 0

    today = clock.today()
    with page.expect_navigation():
        page.select_option("#id_schedule-weekday", str(today.weekday()))
        page.fill("#id_schedule-start_time", "08:00")
        page.fill("#id_schedule-end_time", "10:00")
        page.fill("#id_schedule-slot_minutes", "30")
        page.select_option("#id_schedule-mode", "clinic")
        page.fill("#id_schedule-location", "全科诊室2")
        page.fill("#id_schedule-valid_from", today.isoformat())
        page.check("#id_schedule-runs_on_holidays")
        page.click("form.schedule-form button[type=submit]")
    assert "新" in page.inner_text(".messages") or page.locator(".messages").count() == 1

    # Next week the same weekday is always in the future: four 30-minute slots.
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"start="))
    next_day = (today + timedelta(days=7)).isoformat()
    day = page.locator(f".cal-day[data-date='{next_day}']")
    assert day.locator(".slot").count() == 4
    assert "08:00–08:30" in day.inner_text()
    assert "0/1" in day.inner_text()
    page.screenshot(path=str(shots / "catalogue-week.png"), full_page=True)
    assert console.csp_violations() == []


def test_console_pages_render_without_csp_violations(
    live_server, supply, desk_page, console, shots
):
    page = desk_page
    sign_in(page, live_server, "director")
    for path, name in [
        ("/console/catalogue/services/basic.common_illness/", "service"),
        ("/console/catalogue/packages/", "packages"),
        ("/console/catalogue/providers/", "providers"),
        ("/console/catalogue/excel/", "excel"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1
        page.screenshot(path=str(shots / f"catalogue-{name}.png"), full_page=True)
    page.goto(f"{live_server.url}/console/catalogue/")
    page.screenshot(path=str(shots / "catalogue-list-top.png"))
    assert console.csp_violations() == []


def test_resident_sees_services_for_me(live_server, supply, phone_page, console, shots):
    page = phone_page
    sign_in(page, live_server, "zhao")
    page.click("a[href='/r/services/']")
    page.wait_for_url(f"{live_server.url}/r/services/")
    body = page.inner_text("main")
    assert "常见病诊疗" in body
    assert "产后康复" not in body
    page.screenshot(path=str(shots / "catalogue-for-me.png"), full_page=True)
    page.screenshot(path=str(shots / "catalogue-for-me-top.png"))
    assert console.csp_violations() == []
