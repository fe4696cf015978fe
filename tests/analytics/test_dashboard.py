"""The console dashboard: who may see it, the KPIs it shows against ``compute_kpis`` (and a
few figures worked out here by hand), open demands by quadrant and deadline, the analyses of
the latest runs and "run now", findings, CSV export, CSP and the number of queries.

The demand loop is driven through the demands services with the clock moved by hand over
2–11 March 2026 (Shanghai time); the analyses read the planted population of
``tests/analytics/test_runs.py``.
"""

# ruff: noqa: F811 (pytest fixtures imported from the sibling modules)

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.analytics import services as analytics_services
from careloop.analytics.kpis import KPI_CODES, compute_kpis
from careloop.analytics.models import AnalyticsRun, ImprovementFinding
from careloop.catalogue.models import Service
from careloop.core import clock
from careloop.core.roles import Role
from careloop.demands import services
from careloop.demands.models import OPEN_STATUSES, WAITING_STATUSES, Demand, DemandStatus
from tests.analytics.test_kpis import SHANGHAI, frozen  # noqa: F401 (fixture)
from tests.analytics.test_runs import population  # noqa: F401 (fixture)
from tests.conftest import make_user
from tests.observations.test_pages import assert_no_inline_script_or_style

DASHBOARD = "/console/dashboard/"
RUN = "/console/dashboard/run/"
NURSING = "maintenance.home_nursing"
BP = "maintenance.bp_monitoring"
MARCH = date(2026, 3, 1)
FINAL = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def quality(cast):
    return make_user("quality", Role.QUALITY_MANAGER, community=cast.east)


@pytest.fixture
def move(monkeypatch, frozen):
    """Move ``clock.now`` by hand (it starts where ``frozen`` put it)."""
    state = {"now": frozen}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    def to(moment: datetime) -> datetime:
        state["now"] = moment
        return moment

    return to


@pytest.fixture
def loop(cast, move) -> dict[str, Demand]:
    """Seven demands of the east community and one of the west, through the services."""
    nursing, bp = Service.objects.get(code=NURSING), Service.objects.get(code=BP)

    def file(when, actor, resident, service, **kwargs) -> Demand:
        move(when)
        return services.file_demand(
            actor=actor, resident=resident, channel="staff_phone", service=service,
            description=kwargs.pop("description", "需要上门服务"), **kwargs,
        )  # fmt: skip

    def accept(when, actor, demand) -> Demand:
        move(when)
        return services.accept_demand(actor=actor, demand=demand)

    def finish(when, actor, demand, stars) -> None:
        move(when)
        services.start_demand(actor=actor, demand=demand)
        services.complete_demand(actor=actor, demand=demand)
        services.rate_demand(actor=actor, demand=demand, overall=stars, response_speed=stars)

    a, b = cast.doctor_a, cast.doctor_b
    d = {}
    d["served"] = file(at(2, 9), a, cast.wang, nursing)
    d["rated_3"] = file(at(2, 10), a, cast.li, nursing)
    accept(at(2, 11), a, d["served"])  # 2 h
    accept(at(2, 16), a, d["rated_3"])  # 6 h
    d["slow"] = file(at(3, 9), b, cast.zhao, bp)
    finish(at(3, 10), a, d["served"], 5)
    finish(at(4, 10), a, d["rated_3"], 3)
    accept(at(4, 15), b, d["slow"])  # 30 h
    d["west"] = file(at(5, 9), cast.west_director, cast.chen, nursing)
    d["urgent"] = file(at(9, 9), a, cast.wang, nursing, tier="urgent")
    accept(at(9, 9, 20), a, d["urgent"])  # 20 min
    d["waiting"] = file(at(10, 9), b, cast.zhao, nursing)
    d["tomorrow"] = file(at(11, 9, 30), a, cast.li, bp)
    d["soon"] = file(at(11, 9, 45), a, cast.wang, nursing, tier="urgent")
    move(FINAL)
    return {key: Demand.objects.get(pk=demand.pk) for key, demand in d.items()}


def tiles(html: str) -> dict[str, dict[str, str]]:
    """``{code: {value, target, status, light, pending, complete, name, text}}`` of the KPI
    tiles: ``status`` is the KPI's own, ``light`` the one shown ("pending": incomplete)."""
    found = {}
    for match in re.finditer(
        r'<li class="kpi-tile kpi-(\w+)" data-kpi="(\w+)" data-value="([^"]*)" '
        r'data-target="([^"]*)" data-status="(\w+)" data-pending="(\d+)" '
        r'data-complete="(true|false)">(.*?)</li>',
        html,
        re.S,
    ):
        light, code, value, target, status, pending, complete, body = match.groups()
        name = re.search(r'<span class="kpi-name">(.*?)</span>', body).group(1)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
        found[code] = {"status": status, "light": light, "value": value, "target": target,
                       "pending": int(pending), "complete": complete == "true", "name": name,
                       "text": text}  # fmt: skip
    return found


def number(text: str) -> float | None:
    return float(text) if text else None


# ---- who may see it -------------------------------------------------------------------------

PERSONAS = [
    ("director", 200), ("quality", 200), ("admin", 200), ("west_director", 200),
    ("doctor_a", 403), ("nurse_a", 403), ("cashier", 403), ("auditor", 403),
    ("wang_user", 403),
]  # fmt: skip
PAGES = [DASHBOARD, "/console/dashboard/export/kpis.csv", "/console/dashboard/report.xlsx"]


@pytest.mark.parametrize(("persona", "status"), PERSONAS)
@pytest.mark.parametrize("url", PAGES)
def test_who_may_see_the_dashboard(client, cast, quality, frozen, persona, status, url):
    user = quality if persona == "quality" else getattr(cast, persona)
    client.force_login(user)
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", [*PAGES, RUN])
def test_anonymous_visitors_are_sent_to_sign_in(client, cast, url):
    response = client.post(url) if url == RUN else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert AnalyticsRun.objects.count() == 0


@pytest.mark.parametrize("persona", ["doctor_a", "auditor", "wang_user"])
def test_others_may_not_run_the_analyses_and_nothing_is_written(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.post(RUN).status_code == 403
    assert client.get(RUN).status_code in (403, 405)
    assert AnalyticsRun.objects.count() == 0


def test_a_team_or_service_filter_outside_the_community_is_not_found(client, cast, frozen):
    client.force_login(cast.west_director)
    assert client.get(DASHBOARD, {"team": cast.team_a.public_id}).status_code == 404
    assert client.get(DASHBOARD, {"team": "nope"}).status_code == 404
    assert client.get(DASHBOARD, {"service": "no.such.service"}).status_code == 404
    assert client.get("/console/dashboard/export/kpis.csv", {"team": cast.team_a.public_id}
                      ).status_code == 404  # fmt: skip


@pytest.mark.parametrize("month", ["2026-13", "March", "2026-04", "1999-12"])
def test_a_bad_or_future_month_is_a_bad_request(client, cast, frozen, month):
    client.force_login(cast.director)
    response = client.get(DASHBOARD, {"month": month})
    assert response.status_code == 400
    assert response.context["scope"].month == MARCH  # shows this month meanwhile
    assert client.get("/console/dashboard/report.xlsx", {"month": month}).status_code == 400


# ---- the KPIs -------------------------------------------------------------------------------


def test_every_kpi_is_shown_with_its_name_target_and_light(client, cast, loop):
    client.force_login(cast.director)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    shown = tiles(html)
    expected = compute_kpis(community=cast.east, month=MARCH)
    assert list(shown) == list(KPI_CODES) == [kpi.code for kpi in expected]
    for kpi in expected:
        tile = shown[kpi.code]
        assert tile["name"] == kpi.name
        assert number(tile["value"]) == kpi.value
        assert number(tile["target"]) == kpi.target
        assert tile["status"] == kpi.status
    # Worked out by hand from the loop: routine responses 2 h, 6 h and 30 h; urgent 20 min;
    # ratings 5 and 3 stars.
    assert number(shown["response_time_median_h"]["value"]) == 6.0
    assert number(shown["response_time_p90_h"]["value"]) == 25.2  # 6 + 0.8 × (30 − 6)
    assert number(shown["urgent_response_median_min"]["value"]) == 20.0
    assert number(shown["satisfaction_rate"]["value"]) == 50.0
    assert shown["response_time_median_h"]["status"] == "green"
    assert shown["response_time_p90_h"]["status"] == "amber"  # within 24 × 1.1
    assert shown["satisfaction_rate"]["status"] == "red"
    assert "≤ 24" in shown["response_time_median_h"]["text"]
    assert "≥ 95" in shown["match_success_rate"]["text"]
    assert "≤ 30" in shown["urgent_response_median_min"]["text"]
    assert_no_inline_script_or_style(response)


def test_kpis_in_chinese_by_default(client, cast, loop):
    client.force_login(cast.director)
    shown = tiles(client.get(DASHBOARD).content.decode())
    assert "响应时间" in shown["response_time_median_h"]["name"]
    assert shown["match_success_rate"]["name"] == "匹配成功率"
    assert "目标 ≤ 24 小时" in shown["response_time_median_h"]["text"]


def test_team_service_and_month_filters(client, cast, loop):
    client.force_login(cast.director)
    nursing = Service.objects.get(code=NURSING)
    cases = [
        ({"team": cast.team_b.public_id}, {"team": cast.team_b, "month": MARCH}),
        ({"service": NURSING}, {"service": nursing, "month": MARCH}),
        ({"month": "2026-02"}, {"month": date(2026, 2, 1)}),
    ]
    for query, scope in cases:
        shown = tiles(client.get(DASHBOARD, query).content.decode())
        expected = compute_kpis(community=cast.east, **scope)
        assert {code: number(t["value"]) for code, t in shown.items()} == {
            kpi.code: kpi.value for kpi in expected}, query  # fmt: skip
    team_b = tiles(client.get(DASHBOARD, {"team": cast.team_b.public_id}).content.decode())
    assert number(team_b["response_time_median_h"]["value"]) == 30.0  # zhao's demand only


def test_a_director_sees_only_their_community(client, cast, loop):
    client.force_login(cast.west_director)
    response = client.get(DASHBOARD)
    shown = tiles(response.content.decode())
    expected = compute_kpis(community=cast.west, month=MARCH)
    assert {c: number(t["value"]) for c, t in shown.items()} == {
        k.code: k.value for k in expected}  # fmt: skip
    assert response.context["counts"]["total"] == 1  # chen's demand


def test_trend_charts_carry_twelve_months_and_the_target(client, cast, loop):
    client.force_login(cast.director)
    response = client.get(DASHBOARD)
    figures = response.context["chart_data"]["figures"]
    trend = figures["trend-response_time_median_h"]
    line, target = trend["data"][0], trend["data"][1]
    assert len(line["x"]) == 12 and line["x"][-1].startswith("2026-03-01")
    assert line["y"][-1] is None and line["y"][0] is None  # March is drawn apart: not over
    so_far = trend["data"][2]
    assert so_far["x"][-1].startswith("2026-03-01") and so_far["y"][-1] == 6.0
    assert so_far["line"]["dash"] == "dot" and so_far["marker"]["symbol"][-1] == "circle-open"
    assert target["line"]["dash"] == "dash" and set(target["y"]) == {24.0}
    assert all(f"trend-{code}" in figures for code in KPI_CODES)
    html = response.content.decode()
    assert html.count('class="dash-plot" data-figure="trend-') == len(KPI_CODES)
    assert '<script id="dashboard-charts" type="application/json">' in html


def test_months_read_as_chinese_readers_expect(client, cast, loop):
    client.force_login(cast.director)
    response = client.get(DASHBOARD)
    html = response.content.decode()
    assert "东湖社区 · 2026年3月" in html
    assert re.search(r'<h2 id="kpis-title">指标与目标 <span class="muted">2026年3月</span>', html)
    assert re.search(r'class="muted month-to-date-note">[^<]*2026年3月11日', html)
    assert 'name="month" id="id_month" value="2026-03"' in html  # the input keeps YYYY-MM
    trend = response.context["chart_data"]["figures"]["trend-response_time_median_h"]
    axis = trend["layout"]["xaxis"]
    assert axis["ticktext"] == ["2025年5月", "2025年7月", "2025年9月", "2025年11月", "2026年1月",
                                "2026年3月"]  # fmt: skip
    assert [value[:7] for value in axis["tickvals"]] == [
        "2025-05", "2025-07", "2025-09", "2025-11", "2026-01", "2026-03"]  # fmt: skip
    assert trend["data"][0]["customdata"][-1] == "2026年3月"  # the hover names it the same way
    assert "2026-03" not in re.sub(r'(href|value)="[^"]*"', "", html.split("<script")[0])


def test_months_in_english(client, cast, loop):
    client.force_login(cast.director)
    client.cookies["django_language"] = "en"
    response = client.get(DASHBOARD, {"month": "2026-02"})
    html = response.content.decode()
    assert "东湖社区 · February 2026" in html
    assert re.search(r'<h2 id="kpis-title">Indicators against targets <span class="muted">'
                     r"February 2026</span>", html)  # fmt: skip
    axis = response.context["chart_data"]["figures"]["trend-match_success_rate"]["layout"]["xaxis"]
    # The trend runs to this month whichever month is chosen.
    assert axis["ticktext"] == ["May 2025", "Jul 2025", "Sep 2025", "Nov 2025", "Jan 2026",
                                "Mar 2026"]  # fmt: skip


# ---- open demands ---------------------------------------------------------------------------


def expected_deadlines(demands) -> dict[str, int]:
    """The next deadline of each open demand, bucketed as the dashboard says (by hand)."""
    today_ends = datetime(2026, 3, 12, tzinfo=SHANGHAI)
    week_ends = datetime(2026, 3, 16, tzinfo=SHANGHAI)  # Monday
    found = {"overdue": 0, "today": 0, "week": 0}
    for d in demands:
        if d.status in WAITING_STATUSES:
            due = d.due_respond_at
        elif d.status == DemandStatus.ACCEPTED and d.booking_id is None:
            due = d.due_match_at
        else:
            continue
        if due < FINAL:
            found["overdue"] += 1
        elif due < today_ends:
            found["today"] += 1
        elif due < week_ends:
            found["week"] += 1
    return found


def test_open_demands_by_quadrant_and_deadline(client, cast, loop):
    client.force_login(cast.director)
    response = client.get(DASHBOARD)
    counts = response.context["counts"]
    east_open = [d for d in loop.values() if d.resident.community == cast.east
                 and d.status in OPEN_STATUSES]  # fmt: skip
    assert counts["total"] == len(east_open) == 5
    for quadrant in ("Q1", "Q2", "Q3", "Q4"):
        assert counts[quadrant] == sum(d.quadrant == quadrant for d in east_open)
    assert counts["Q1"] == 2  # the two urgent ones
    deadlines = expected_deadlines(east_open)
    assert {k: counts[k] for k in deadlines} == deadlines == {"overdue": 3, "today": 1, "week": 1}
    html = response.content.decode()
    assert 'href="/console/demands/"' in html
    assert re.search(r'data-deadline="overdue"[^>]*>[^<]*<span class="count-value">3</span>', html)
    quadrant = response.context["chart_data"]["figures"]["quadrant"]["data"][0]
    assert quadrant["z"] == [[counts["Q4"], counts["Q3"]], [counts["Q2"], counts["Q1"]]]


def test_the_service_filter_narrows_the_open_demands(client, cast, loop):
    client.force_login(cast.director)
    counts = client.get(DASHBOARD, {"service": BP}).context["counts"]
    assert counts["total"] == 2  # zhao's accepted one and li's new one


# ---- analyses and findings -----------------------------------------------------------------


def test_no_run_yet_shows_the_run_now_button(client, cast, frozen):
    client.force_login(cast.director)
    response = client.get(DASHBOARD)
    html = response.content.decode()
    assert response.context["has_runs"] is False
    assert f'action="{RUN}"' in html and "btn-primary btn-large btn-run" in html
    assert "立即运行分析" in html
    assert_no_inline_script_or_style(response)


def test_run_now_runs_the_quick_analyses_and_queues_the_forecast(
    client, cast, population, django_capture_on_commit_callbacks
):
    client.force_login(cast.director)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(RUN)
    assert response.status_code == 302 and response["Location"] == DASHBOARD + "#analyses"
    assert len(queued) == 1  # the forecast, run at once here (Huey's immediate mode)
    runs = AnalyticsRun.objects.filter(community=cast.east, created_by=cast.director)
    assert sorted(runs.values_list("kind", "status")) == [
        ("describe", "succeeded"), ("forecast", "succeeded"), ("rules", "succeeded"),
        ("segments", "succeeded")]  # fmt: skip
    messages = [str(m) for m in response.wsgi_request._messages]
    assert len(messages) == 1


def test_the_latest_segments_rules_and_forecasts_are_shown(client, cast, quality, population):
    analytics_services.run_analytics(actor=cast.director, community=cast.east)
    client.force_login(quality)
    response = client.get(DASHBOARD)
    html = response.content.decode()
    context = response.context
    segments = AnalyticsRun.objects.get(kind="segments").result["segments"]
    assert [row["size"] for row in context["segment_rows"]] == [s["size"] for s in segments]
    assert segments[0]["description_zh"] in html
    rules = context["rule_rows"]
    planted = next(r for r in rules if r["if"] == "糖尿病" and r["then"] == "糖尿病足筛查")
    assert planted["confidence"] == pytest.approx(0.9)
    assert "<td>糖尿病</td><td>→ 糖尿病足筛查</td>" in html
    forecast = context["chart_data"]["figures"]["forecast-basic.vaccination"]
    band = [t for t in forecast["data"] if t.get("fill") == "tonexty"]
    assert len(band) == 1 and len(band[0]["y"]) == 8
    assert "预防接种" in html
    assert_no_inline_script_or_style(response)


def test_open_findings_with_their_evidence(client, cast, move):
    nursing = Service.objects.get(code=NURSING)
    for n in range(5):
        move(at(2, 9) + timedelta(hours=n))
        demand = services.file_demand(
            actor=cast.doctor_a, resident=cast.wang, channel="staff_phone", service=nursing,
            description="需要上门护理",
        )  # fmt: skip
        services.accept_demand(actor=cast.doctor_a, demand=demand)
        services.start_demand(actor=cast.doctor_a, demand=demand)
        services.complete_demand(actor=cast.doctor_a, demand=demand)
        services.rate_demand(actor=cast.doctor_a, demand=demand, overall=4,
                             response_speed=2 if n else 5)  # fmt: skip
    move(FINAL)
    found = analytics_services.find_improvements(window_days=30)
    assert len(found) >= 1
    client.force_login(cast.director)
    response = client.get(DASHBOARD)
    html = response.content.decode()
    finding = ImprovementFinding.objects.get(scope_kind="service", dimension="response_speed")
    assert f'data-finding="{finding.public_id}"' in html
    assert "上门护理" in html or nursing.name in html
    assert "5 条评价中有 1 条给出 4 星或 5 星（20%，阈值 60%）" in html
    rows = csv_rows(client.get("/console/dashboard/export/findings.csv"))
    service_rows = [r for r in rows[1:] if r[0] == nursing.name and r[1] == "响应速度"]
    assert service_rows and service_rows[0][2:5] == ["20.0", "60.0", "5"]


# ---- CSV export ------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_of_the_kpis_and_the_deadlines(client, cast, loop):
    client.force_login(cast.director)
    response = client.get("/console/dashboard/export/kpis.csv", {"month": "2026-03"})
    assert response["Content-Disposition"] == 'attachment; filename="careloop-kpis-2026-03.csv"'
    rows = csv_rows(response)
    assert rows[0][:7] == ["编码", "指标", "数值", "单位", "目标", "状态", "样本量"]
    assert len(rows[0]) == 10  # + still pending, best case, final
    expected = compute_kpis(community=cast.east, month=MARCH)
    assert [row[0] for row in rows[1:]] == [kpi.code for kpi in expected]
    for row, kpi in zip(rows[1:], expected, strict=True):
        assert row[1] == kpi.name
        assert (float(row[2]) if row[2] else None) == kpi.value
        assert (float(row[4]) if row[4] else None) == kpi.target
        assert int(row[6]) == kpi.sample

    rows = csv_rows(client.get("/console/dashboard/export/deadlines.csv"))
    assert rows[1:] == [["已超时", "3"], ["今天到期", "1"], ["本周内到期", "1"]]
    trend = csv_rows(client.get("/console/dashboard/export/trend-response_time_median_h.csv"))
    assert len(trend) == 13 and trend[-1][:3] == ["2026-03", "6.0", "24.0"]


def test_unknown_charts_are_not_found(client, cast, frozen):
    client.force_login(cast.director)
    for chart in ("nope", "trend-nope", "forecast-basic.vaccination"):
        assert client.get(f"/console/dashboard/export/{chart}.csv").status_code == 404


# ---- queries ---------------------------------------------------------------------------------


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_data(client, cast, loop, move):
    client.force_login(cast.director)
    dashboard_queries(client)  # warm: content types, sessions
    before = dashboard_queries(client)
    nursing = Service.objects.get(code=NURSING)
    for n in range(6):  # 11 minutes apart: the same need within 10 minutes is not refiled
        move(FINAL + timedelta(minutes=11 * (n + 1)))
        services.file_demand(actor=cast.doctor_a, resident=cast.li, channel="staff_phone",
                             service=nursing, description=f"第{n}次")  # fmt: skip
    assert Demand.objects.filter(resident=cast.li, service=nursing).count() >= 6
    assert dashboard_queries(client) == before
    # Session and user 3, KPIs 7 (percentiles 3, rates 2, control rates 1 each, now and a
    # year earlier together), trends 6 + 2 (a control rate's 12 months in one query), open
    # demands 1, runs 3 (+3 when a kind never ran), findings 1, filter choices 2.
    assert before <= 31


def test_the_console_links_to_the_dashboard(client, cast, quality):
    for user, shown in ((cast.director, True), (quality, True), (cast.auditor, False)):
        client.force_login(user)
        html = client.get("/console/").content.decode()
        assert (f'href="{DASHBOARD}"' in html) is shown, user
