"""The console dashboard in a real browser. Acceptance (issue 6): a director opens the
dashboard, sees the KPIs in Chinese with their targets and the charts drawn by plotly.js,
saves a chart as PNG from Plotly's mode bar and downloads the monthly Excel report, which
opens with openpyxl; no CSP violation anywhere."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.e2e.test_portals import sign_in

pytestmark = pytest.mark.e2e

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def demands(e2e_cast):
    """Reference data (a transactional test's flush removes what the migrations loaded) and
    three demands of the east community, one of them accepted, through the services."""
    from careloop.catalogue import services as catalogue_services
    from careloop.catalogue.models import PublicHoliday, Service
    from careloop.demands import services

    if not Service.objects.exists():
        catalogue_services.load_catalogue(actor=None)
    if not PublicHoliday.objects.exists():
        catalogue_services.load_holidays(actor=None)
    nursing = Service.objects.get(code="maintenance.home_nursing")
    illness = Service.objects.get(code="basic.common_illness")
    filed = [
        services.file_demand(
            actor=e2e_cast.doctor_a,
            resident=resident,
            channel="staff_phone",
            service=service,
            description="需要上门护理",
        )
        # not the same service twice for one resident: that would be the same demand again
        for resident, service in (
            (e2e_cast.wang, nursing),
            (e2e_cast.li, nursing),
            (e2e_cast.wang, illness),
        )
    ]
    services.accept_demand(actor=e2e_cast.doctor_a, demand=filed[0])
    return filed


def test_director_sees_the_kpis_and_downloads_the_monthly_report(
    live_server, demands, desk_page, console, shots, tmp_path
):
    from careloop.core import clock

    month = f"{clock.today():%Y-%m}"
    page = desk_page
    sign_in(page, live_server, "director")
    page.click("nav.mainnav a[href='/console/dashboard/']")
    page.wait_for_url(f"{live_server.url}/console/dashboard/")

    tiles = page.inner_text(".kpi-tiles")
    assert "响应时间" in tiles and "匹配成功率" in tiles and "满意度" in tiles
    median = page.locator("[data-kpi='response_time_median_h']")
    assert median.locator(".kpi-target").inner_text() == "目标 ≤ 24 小时"
    assert "目标 ≥ 95 %" in page.inner_text("[data-kpi='match_success_rate']")
    assert page.locator(".kpi-tile").count() == 8

    page.wait_for_selector("[data-figure='trend-match_success_rate'][data-rendered='true'] svg")
    page.wait_for_selector("[data-figure='quadrant'][data-rendered='true'] svg.main-svg")
    assert page.locator("[data-figure^='trend-'] .js-plotly-plot, "
                        "[data-figure^='trend-'].js-plotly-plot").count() == 8  # fmt: skip
    assert "Q2" in page.inner_text("[data-figure='quadrant']")
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    # A chart as PNG from Plotly's mode bar (works offline, within the page's CSP).
    button = page.locator("[data-figure='quadrant'] .modebar-btn")
    assert button.get_attribute("data-title") == "下载图片（PNG）"
    with page.expect_download() as png:
        button.click()
    assert png.value.suggested_filename == f"careloop-quadrant-{month}.png"
    assert png.value.path().read_bytes().startswith(PNG_MAGIC)

    # The monthly report.
    with page.expect_download() as excel:
        page.click("a.report-link")
    assert excel.value.suggested_filename == f"社区健康服务月报-{month}.xlsx"
    saved = tmp_path / "report.xlsx"
    excel.value.save_as(saved)
    book = load_workbook(saved)
    assert book.sheetnames[:3] == ["指标", "趋势", "需求"]
    kpis = list(book["指标"].iter_rows(values_only=True))
    assert kpis[0][:2] == ("编码", "指标")
    names = [row[1] for row in kpis[1:]]
    assert "匹配成功率" in names and any("响应时间" in name for name in names)
    targets = {row[0]: row[4] for row in kpis[1:]}
    assert targets["response_time_median_h"] == 24 and targets["match_success_rate"] == 95
    demand_rows = list(book["需求"].iter_rows(values_only=True))
    assert ("渠道", "staff_phone") in {(row[0], row[1]) for row in demand_rows}

    assert console.csp_violations() == [], console.messages
