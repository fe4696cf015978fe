"""Issue 3 acceptance in a real browser: a resident enters 185/115 by hand in the portal; a
health manager of the resident's care team opens the record, sees the blood pressure chart
drawn by Plotly with the alert marked, and acknowledges the alert. No CSP violation."""

from __future__ import annotations

import json
import re

import pytest

from careloop.core.roles import Role
from careloop.observations import services
from careloop.residents.models import CareTeamMember
from tests.conftest import make_user
from tests.e2e.test_portals import sign_in
from tests.observations.conftest import ago

pytestmark = pytest.mark.e2e

STEPS = "55423-8"
BP = "85354-9"


def history(cast) -> None:
    """Two weeks of home readings, so the charts have lines to draw."""
    for day in range(14, 0, -1):
        services.record_reading(
            actor=cast.doctor_a, resident=cast.wang, code=BP, value=128 + (day % 5) * 3,
            value2=80 + (day % 4) * 2, effective_at=ago(days=day, hours=3),
            identifier=f"bp-{day}",
        )  # fmt: skip
        services.record_reading(
            actor=cast.doctor_a, resident=cast.wang, code=STEPS, value=5200 + (day % 6) * 600,
            effective_at=ago(days=day), identifier=f"steps-{day}",
        )  # fmt: skip
        if day % 3 == 0:
            services.record_reading(
                actor=cast.doctor_a, resident=cast.wang, code="14770-2",
                value=6.1 + (day % 4) * 0.5, effective_at=ago(days=day, hours=5),
                identifier=f"glu-{day}",
            )  # fmt: skip


def test_health_manager_sees_the_bp_alert_on_the_chart_and_acknowledges_it(
    live_server, e2e_cast, browser, phone_page, desk_page, console, shots
):
    cast = e2e_cast
    manager = make_user("manager_a", Role.HEALTH_MANAGER, community=cast.east)
    CareTeamMember.objects.create(team=cast.team_a, user=manager)
    history(cast)

    # The resident enters 185/115 by hand in the portal.
    phone = phone_page
    sign_in(phone, live_server, "wang")
    phone.click("a[href='/r/readings/']")
    phone.wait_for_url(f"{live_server.url}/r/readings/")
    phone.fill("#id_systolic", "185")
    phone.fill("#id_diastolic", "115")
    with phone.expect_navigation():
        phone.click("form.bp-form button[type=submit]")
    assert phone.inner_text(".reading-card .reading-value >> nth=0") == "185/115"
    assert phone.locator(".status-very_high").count() == 1
    phone.screenshot(path=str(shots / "obs-my-readings.png"), full_page=True)
    # A bad value is refused with a translated error and stores nothing.
    phone.fill("#id_systolic", "400")
    phone.fill("#id_diastolic", "90")
    with phone.expect_navigation():
        phone.click("form.bp-form button[type=submit]")
    assert phone.locator(".field-error .errorlist").count() >= 1
    phone.screenshot(path=str(shots / "obs-my-readings-error.png"), full_page=True)

    # The health manager finds the alert in the queue and opens the record.
    page = desk_page
    sign_in(page, live_server, "manager_a")
    page.click("nav.mainnav a[href='/w/alerts/']")
    page.wait_for_url(f"{live_server.url}/w/alerts/")
    # The urgent alert leads the queue (the history also raised routine ones).
    first = page.locator(".alert-item").first
    assert "severity-urgent" in first.get_attribute("class")
    assert page.locator(".alert-item.severity-urgent").count() == 1
    page.screenshot(path=str(shots / "obs-alert-queue.png"), full_page=True)
    first.locator("a.row-link").click()
    page.wait_for_url(re.compile(rf"/w/residents/{cast.wang.public_id}/"))

    # The BP chart is drawn by Plotly, with the thresholds and the alert marked.
    page.wait_for_selector("[data-chart='bp'][data-rendered='true'] svg.main-svg")
    page.wait_for_selector("[data-chart='steps'][data-rendered='true'] svg.main-svg")
    page.wait_for_selector("[data-chart='glucose'][data-rendered='true'] svg.main-svg")
    chart = json.loads(page.inner_text("#chart-data"))
    assert chart["bp"]["systolic"][-1] == 185.0
    assert "urgent" in [a["severity"] for a in chart["bp"]["alerts"]]
    assert page.locator(
        "[data-chart='bp'] .js-plotly-plot, [data-chart='bp'].js-plotly-plot"
    ).count()
    # Three traces: systolic, diastolic and the alert markers; shapes for the bands.
    assert page.locator("[data-chart='bp'] g.trace.scatter").count() == 3
    assert page.locator("[data-chart='bp'] g.trace.scatter").nth(2).locator("path.point").count()
    assert page.locator("[data-chart='bp'] .shapelayer path").count() >= 4
    page.locator("#charts").screenshot(path=str(shots / "obs-charts.png"))

    alert = page.locator("#alerts .alert-item.severity-urgent")
    assert alert.count() == 1
    assert "185/115" in alert.inner_text()
    page.screenshot(path=str(shots / "obs-record.png"), full_page=True)
    with page.expect_navigation():
        alert.locator("button.btn-ack").click()
    assert page.url.endswith("#alerts")
    alert = page.locator("#alerts .alert-item.severity-urgent")
    assert alert.locator(".alert-state").count() == 1
    assert "status-acknowledged" in alert.get_attribute("class")
    assert alert.locator("button.btn-ack").count() == 0
    page.locator("#alerts").screenshot(path=str(shots / "obs-record-acknowledged.png"))

    assert console.csp_violations() == [], console.messages
    assert not [m for m in console.messages if m.startswith("pageerror")], console.messages
