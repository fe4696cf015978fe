"""The monthly Excel report: it opens with openpyxl, its KPI sheet equals ``compute_kpis`` for
the month and scope, the demand breakdown equals a count of the month's demands, and the
latest analyses and open findings are in it."""

# ruff: noqa: F811 (pytest fixtures imported from the sibling modules)

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from urllib.parse import quote

from django.utils import translation
from openpyxl import load_workbook

from careloop.analytics import report
from careloop.analytics import services as analytics_services
from careloop.analytics.kpis import compute_kpis
from careloop.catalogue.models import Service
from careloop.demands.models import Channel, Demand
from tests.analytics.test_dashboard import (  # noqa: F401 (fixtures)
    MARCH,
    NURSING,
    frozen,
    loop,
    move,
)
from tests.analytics.test_runs import population  # noqa: F401 (fixture)

REPORT = "/console/dashboard/report.xlsx"


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == report.CONTENT_TYPE
    return load_workbook(io.BytesIO(response.content))


def rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_report_opens_and_its_kpis_equal_compute_kpis(client, cast, loop):
    client.force_login(cast.director)
    response = client.get(REPORT, {"month": "2026-03"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="careloop-report-2026-03.xlsx"; ')
    assert f"filename*=UTF-8''{quote('社区健康服务月报-2026-03.xlsx')}" in disposition
    book = workbook(response)
    assert book.sheetnames == list(report.SHEETS)
    kpi_rows = rows(book[report.KPIS])
    # then: still pending, best case, final (their Chinese headers come with the catalogue)
    assert kpi_rows[0][:7] == ["编码", "指标", "数值", "单位", "目标", "状态", "样本量"]
    assert len(kpi_rows[0]) == 10
    expected = compute_kpis(community=cast.east, month=MARCH)
    assert [
        (code, name, value, target, sample, pending, best)
        for code, name, value, _unit, target, _status, sample, pending, best, _final
        in kpi_rows[1:]
    ] == [(k.code, k.name, k.value, k.target, k.sample, k.pending, k.best_case)
          for k in expected]  # fmt: skip
    units = {row[0]: row[3] for row in kpi_rows[1:]}
    assert units["response_time_median_h"] == "小时" and units["match_success_rate"] == "%"
    statuses = {row[0]: row[5] for row in kpi_rows[1:]}
    assert statuses["response_time_median_h"] == "达标"
    assert statuses["satisfaction_rate"] == "未达标"
    fill = book[report.KPIS].cell(row=2, column=6).fill.start_color.rgb
    assert fill.endswith(report.STATUS_FILLS["green"])


def test_a_month_and_team_narrow_the_report(client, cast, loop):
    client.force_login(cast.director)
    for query, scope in (
        ({"month": "2026-02"}, {"month": date(2026, 2, 1)}),
        ({"month": "2026-03", "team": cast.team_b.public_id}, {"team": cast.team_b,
                                                                "month": MARCH}),
    ):  # fmt: skip
        kpi_rows = rows(workbook(client.get(REPORT, query))[report.KPIS])
        expected = compute_kpis(community=cast.east, **scope)
        assert [row[2] for row in kpi_rows[1:]] == [k.value for k in expected], query


def test_the_demand_sheet_counts_the_months_demands(client, cast, loop):
    client.force_login(cast.director)
    sheet = rows(workbook(client.get(REPORT))[report.DEMANDS])
    assert sheet[0] == ["统计维度", "编码", "名称", "提交数", "已完成", "已撤回", "未完成"]
    east = Demand.objects.filter(resident__community=cast.east, created_at__month=3)
    by = {}
    for label, code, _name, filed, completed, withdrawn, still_open in sheet[1:]:
        by[(label, code)] = (filed, completed, withdrawn, still_open)
    channels = Counter(d.channel for d in east)
    assert {code: v[0] for (label, code), v in by.items() if label == "渠道"} == channels
    tiers = Counter(d.tier for d in east)
    assert {code: v[0] for (label, code), v in by.items() if label == "紧急程度"} == tiers
    services = Counter(d.service.code for d in east)
    assert {code: v[0] for (label, code), v in by.items() if label == "服务"} == services
    nursing = by[("服务", NURSING)]
    assert nursing == (5, 2, 0, 3)  # two served, three open
    assert ("紧急程度", "urgent") in by and ("服务层级", "maintenance") in by
    names = {row[1]: row[2] for row in sheet[1:]}
    assert names[NURSING] == Service.objects.get(code=NURSING).name_zh
    with translation.override("zh-hans"):
        assert names["staff_phone"] == str(Channel.STAFF_PHONE.label)
    assert len(east) == 7


def test_the_analyses_and_findings_are_in_the_report(client, cast, population):
    analytics_services.run_analytics(actor=cast.director, community=cast.east)
    client.force_login(cast.director)
    book = workbook(client.get(REPORT))
    segments = rows(book[report.SEGMENTS])
    assert segments[0][:4] == ["人群", "描述", "居民", "占比（%）"]
    assert sum(row[2] for row in segments[1:]) == 43
    rules = rows(book[report.RULES])
    assert rules[0] == ["如果", "那么", "支持度", "置信度", "提升度"]
    planted = [row for row in rules[1:] if row[0] == "糖尿病" and row[1] == "糖尿病足筛查"]
    assert planted and abs(planted[0][3] - 0.9) < 1e-6
    forecast = rows(book[report.FORECAST])
    assert any(row[0] == "basic.vaccination" and row[3] == "预测值" for row in forecast[1:])
    trends = rows(book[report.TRENDS])
    assert len(trends) == 13 and trends[0][0] == "月份"
    assert [row[0] for row in trends[1:]][-3:] == ["2026年1月", "2026年2月", "2026年3月"]
    about = dict(rows(book[report.ABOUT])[1:])
    assert about["社区"] == "东湖社区" and about["月份"] == "2026年3月"
    findings = rows(book[report.FINDINGS])
    assert findings[0][:3] == ["服务或团队", "维度", "满意率（%）"]
