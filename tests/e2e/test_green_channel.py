"""Issue 5 in a real browser: a critical demand (chest pain, taken by phone) opens the green
channel; the resident's family doctor, on duty, finds it on the green-channel page, records
that they responded, and sees the demand accepted by them. No CSP violation."""

from __future__ import annotations

import pytest

from careloop.demands import services
from careloop.demands.models import Demand, GreenChannelCase
from careloop.residents.models import Resident
from tests.e2e.test_portals import sign_in

pytestmark = pytest.mark.e2e


def test_doctor_responds_to_a_green_channel_case(live_server, e2e_cast, desk_page, console, shots):
    cast = e2e_cast
    Resident.objects.filter(pk=cast.wang.pk).update(contact_note="耳背，请打电话")
    demand = services.file_demand(
        actor=cast.nurse_a, resident=cast.wang, channel="staff_phone",
        description="老人突发胸痛，出冷汗", idempotency_key="e2e-green",
    )  # fmt: skip
    assert demand.tier == "critical"
    case = GreenChannelCase.objects.get(demand=demand)
    assert case.on_duty == cast.doctor_a

    page = desk_page
    sign_in(page, live_server, "doctor_a")
    page.click("nav.mainnav a[href='/w/green/']")
    page.wait_for_url(f"{live_server.url}/w/green/")
    card = page.locator(f"[data-green='{demand.public_id}']")
    assert card.count() == 1
    assert "王秀英" in page.inner_text("main")
    assert "耳背，请打电话" in page.inner_text("main")
    assert card.locator(".remaining").count() == 2  # both minute clocks are running
    page.screenshot(path=str(shots / "demands-green.png"), full_page=True)

    with page.expect_navigation():
        card.get_by_role("button", name="已响应").click()
    assert page.url == f"{live_server.url}/w/green/"
    card = page.locator(f"[data-green='{demand.public_id}']")
    assert card.locator("button.btn-green-respond").count() == 0
    assert card.locator(".step-respond .tag-success").count() == 1
    assert "已接单" in page.inner_text(f"#green-{demand.public_id} ~ p >> nth=0")

    # The demand page: accepted by the doctor, the step in its history.
    with page.expect_navigation():
        page.click(f"a[href='/w/demands/{demand.public_id}/']")
    assert page.inner_text(".demand-status") == "已接单"
    assert "Doctor_A" in page.inner_text(".accepted-by")
    assert page.locator(".demand-history .event-accept").count() == 1
    assert page.locator(".demand-history .event-green_channel").count() == 1
    page.screenshot(path=str(shots / "demands-green-accepted.png"), full_page=True)

    demand = Demand.objects.get(pk=demand.pk)
    assert (demand.status, demand.accepted_by) == ("accepted", cast.doctor_a)
    assert GreenChannelCase.objects.get(pk=case.pk).responded_at is not None
    assert console.csp_violations() == [], console.messages
    assert not [m for m in console.messages if m.startswith("pageerror")], console.messages
