"""The medical alliance in a real browser. Acceptance: a centre director adds a referral
agreement with the district hospital (转诊协议) and a visiting cardiologist's weekly session
(专家坐诊) from the console catalogue, and sees both listed; the lists filter through htmx;
no CSP violation anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_portals import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def alliance(e2e_cast):
    """Reference data, the east centre and a district hospital with a cardiologist, made
    through the services (the hospital has no community: the superuser adds it)."""
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
    hospital = services.create_organisation(
        actor=e2e_cast.admin, code="wuchang.hospital", name_zh="武昌区人民医院", kind="hospital"
    )
    cardiologist = services.create_provider(
        actor=e2e_cast.admin, organisation=hospital, name="张主任", kind="practitioner",
        sex="M", title="主任医师", skills=["specialist"], services=["basic.specialist_clinic"],
    )  # fmt: skip
    return centre, hospital, cardiologist


def test_director_adds_an_agreement_and_a_specialist_session(
    live_server, alliance, desk_page, console, shots
):
    from careloop.core import clock

    centre, hospital, cardiologist = alliance
    today = clock.today().isoformat()
    page = desk_page
    sign_in(page, live_server, "director")

    # From the catalogue's sub-navigation to the referral agreements.
    page.goto(f"{live_server.url}/console/catalogue/organisations/")
    page.click("nav.subnav a[href='/console/catalogue/referrals/']")
    page.wait_for_url(f"{live_server.url}/console/catalogue/referrals/")
    expect(page.locator("#agreement-results tbody")).not_to_contain_text("武昌区人民医院")

    page.click("a.btn-primary[href='/console/catalogue/referrals/new/']")
    page.wait_for_url(re.compile(r"/referrals/new/$"))
    page.select_option("#id_organisation", str(centre.pk))
    page.select_option("#id_partner", str(hospital.pk))
    page.select_option("#id_kind", "two_way")
    page.fill("#id_valid_from", today)
    page.fill("#id_note", "上转绿色通道，下转康复随访")
    with page.expect_navigation():
        page.click("form.catalogue-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/catalogue/referrals/")
    results = page.locator("#agreement-results")
    expect(results).to_contain_text("武昌区人民医院")
    expect(results).to_contain_text("上转绿色通道")
    page.screenshot(path=str(shots / "referral-agreements.png"), full_page=True)

    # htmx filter: "ended" swaps the results in place, the URL follows.
    page.select_option("#id_state", "ended")
    page.wait_for_url(re.compile(r"state=ended"))
    expect(results.locator("tbody")).not_to_contain_text("武昌区人民医院")
    page.select_option("#id_state", "active")
    page.wait_for_url(re.compile(r"state=active"))
    expect(results).to_contain_text("武昌区人民医院")

    # The visiting cardiologist's Wednesday afternoon at the centre.
    page.click("nav.subnav a[href='/console/catalogue/specialist-sessions/']")
    page.wait_for_url(f"{live_server.url}/console/catalogue/specialist-sessions/")
    page.click("a.btn-primary[href='/console/catalogue/specialist-sessions/new/']")
    page.wait_for_url(re.compile(r"/specialist-sessions/new/$"))
    page.select_option("#id_host", str(centre.pk))
    page.select_option("#id_provider", str(cardiologist.pk))
    page.fill("#id_specialty_zh", "心内科")
    page.fill("#id_specialty_en", "Cardiology")
    page.select_option("#id_weekday", "2")
    page.fill("#id_start_time", "14:00")
    page.fill("#id_end_time", "17:00")
    page.fill("#id_slot_minutes", "20")
    page.fill("#id_location", "专家诊室")
    page.fill("#id_valid_from", today)
    with page.expect_navigation():
        page.click("form.catalogue-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/catalogue/specialist-sessions/")
    sessions = page.locator("#session-results")
    expect(sessions).to_contain_text("心内科")
    expect(sessions).to_contain_text("张主任")
    expect(sessions).to_contain_text("14:00–17:00")
    expect(page.locator(".messages")).to_be_visible()
    page.screenshot(path=str(shots / "specialist-sessions.png"), full_page=True)

    page.fill("#id_q", "骨科")
    expect(sessions.locator("tbody")).not_to_contain_text("心内科")
    page.fill("#id_q", "心内")
    expect(sessions).to_contain_text("张主任")
    assert console.csp_violations() == []
