"""The monthly report as an Excel workbook (openpyxl), always in Chinese.

Sheets, each a header row then one row per item (``SHEETS``):

- 指标: every KPI of the month with value, unit, target, status, sample, the demands whose
  outcome is still pending, the best case and whether the figure is final, the status cell
  coloured like the dashboard's traffic light (grey: incomplete);
- 趋势: the last 12 months of every KPI (one column per KPI);
- 需求: the demands filed in the month by service, service tier, channel and SLA tier —
  filed, completed, withdrawn and still open;
- 改进发现, 人群分群, 关联规则, 需求预测: the open improvement findings and the latest
  segments, association rules and forecasts (``charts``);
- 说明: what the report covers and when it was made.

Months are written as people read them ("2026年3月"), times in the locale's format; the file
name keeps ``YYYY-MM`` so monthly reports sort by name. Numbers are written as numbers
(percentages in percent, times in hours or minutes, as the unit column says), never as
formatted text, so they can be summed and charted in Excel.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from careloop.analytics import charts
from careloop.analytics.kpis import AMBER, GREEN, RED
from careloop.analytics.models import RunKind
from careloop.catalogue.models import Tier
from careloop.core import clock
from careloop.core.models import User
from careloop.demands.models import OPEN_STATUSES, Channel, DemandStatus, DemandTier

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KPIS, TRENDS, DEMANDS, FINDINGS, SEGMENTS, RULES, FORECAST, ABOUT = (
    "指标", "趋势", "需求", "改进发现", "人群分群", "关联规则", "需求预测", "说明",
)  # fmt: skip
SHEETS = (KPIS, TRENDS, DEMANDS, FINDINGS, SEGMENTS, RULES, FORECAST, ABOUT)
STATUS_FILLS = {GREEN: "C8E6C9", AMBER: "FFE0B2", RED: "FFCDD2", charts.PENDING: "E4E7EB"}
LANGUAGE = "zh-hans"


def filename(scope: charts.Scope) -> str:
    return f"社区健康服务月报-{charts.month_key(scope.month)}.xlsx"


def monthly_report(user: User, scope: charts.Scope) -> bytes:
    """The workbook for ``scope`` (its month, community, team and service) as bytes."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    with translation.override(LANGUAGE):
        series = charts.trends(user, scope)
        tiles = charts.tiles(user, scope, series)
        runs = charts.latest_runs(user, scope)
        book = Workbook()
        sheet = book.active  # a new workbook has one worksheet, active
        assert isinstance(sheet, Worksheet)
        sheet.title = KPIS
        _fill(sheet, charts.kpi_table(tiles))
        status_column = 6  # the "status" column of charts.kpi_table
        for row, tile in enumerate(tiles, start=2):
            _colour(sheet.cell(row, status_column), tile.light)
        _fill(book.create_sheet(TRENDS), _trend_table(tiles, series))
        _fill(book.create_sheet(DEMANDS), demand_table(user, scope))
        _fill(book.create_sheet(FINDINGS), charts.findings_table(charts.open_findings(user, scope)))
        _fill(book.create_sheet(SEGMENTS), charts.segments_chart(runs[RunKind.SEGMENTS]).table)
        _fill(book.create_sheet(RULES), charts.rules_chart(runs[RunKind.RULES]).table)
        _fill(
            book.create_sheet(FORECAST), charts.all_forecasts(runs[RunKind.FORECAST], scope).table
        )
        _fill(book.create_sheet(ABOUT), _about(user, scope, runs))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Any, table: charts.Table) -> None:
    from openpyxl.styles import Font

    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_value(value) for value in row])
    for index, header in enumerate(table.headers, start=1):
        longest = max([len(str(header))] + [len(str(row[index - 1] or "")) for row in
                                            table.rows[:200]])  # fmt: skip
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(
            60, max(10, longest * 2 + 2)
        )
    sheet.freeze_panes = "A2"


def _value(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


def _colour(cell: Any, status: str) -> None:
    from openpyxl.styles import PatternFill

    if status in STATUS_FILLS:
        colour = STATUS_FILLS[status]
        cell.fill = PatternFill(start_color=colour, end_color=colour, fill_type="solid")


def _trend_table(
    tiles: list[charts.Tile], series: dict[str, list[tuple[date, float | None]]]
) -> charts.Table:
    table = charts.Table([_("Month"), *[f"{t.kpi.name} ({t.unit})" for t in tiles]])
    months = [month for month, _v in series[tiles[0].kpi.code]] if tiles else []
    for i, month in enumerate(months):
        table.rows.append([charts.month_label(month), *[series[t.kpi.code][i][1] for t in tiles]])
    return table


def _month_window(month: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return datetime.combine(month, time.min, tzinfo=tz), datetime.combine(
        following, time.min, tzinfo=tz
    )


def demand_table(user: User, scope: charts.Scope) -> charts.Table:
    """Demands filed in the month by service, service tier, channel and SLA tier."""
    start, end = _month_window(scope.month)
    demands = charts.scoped_demands(user, scope).filter(created_at__gte=start, created_at__lt=end)
    counts = {
        "filed": Count("pk"),
        "completed": Count("pk", filter=Q(status=DemandStatus.COMPLETED)),
        "withdrawn": Count("pk", filter=Q(status=DemandStatus.WITHDRAWN)),
        "open": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    }
    table = charts.Table(
        [
            _("Breakdown"),
            _("Code"),
            pgettext("dashboard", "Name"),
            pgettext("dashboard", "Filed"),
            _("Completed"),
            _("Withdrawn"),
            _("Still open"),
        ]
    )

    def add(label: str, rows: Iterable[dict[str, Any]], key: str, names: dict[str, str]) -> None:
        for row in sorted(rows, key=lambda r: (-r["filed"], str(r[key]))):
            code = row[key] or ""
            name = names.get(code, code) if code else _("Not set")
            table.rows.append(
                [label, code, name, row["filed"], row["completed"], row["withdrawn"], row["open"]]
            )

    by_service = list(demands.values("service__code", "service__name_zh").annotate(**counts))
    service_names = {r["service__code"]: r["service__name_zh"] for r in by_service}
    add(_("Service"), by_service, "service__code", service_names)
    add(_("Service tier"), demands.values("service__tier").annotate(**counts), "service__tier",
        {value: str(label) for value, label in Tier.choices})  # fmt: skip
    add(_("Channel"), demands.values("channel").annotate(**counts), "channel",
        {value: str(label) for value, label in Channel.choices})  # fmt: skip
    add(_("Urgency tier"), demands.values("tier").annotate(**counts), "tier",
        {value: str(label) for value, label in DemandTier.choices})  # fmt: skip
    return table


def _about(user: User, scope: charts.Scope, runs: dict[str, Any]) -> charts.Table:
    table = charts.Table([_("Item"), _("Value")])
    community = scope.community.name if scope.community is not None else _("All communities")
    table.rows = [
        [_("Community"), community],
        [_("Month"), charts.month_label(scope.month)],
        [_("Care team"), scope.team.name if scope.team is not None else _("All teams")],
        [_("Service"), scope.service.name if scope.service is not None else _("All services")],
        [_("Made at"), formats.date_format(timezone.localtime(clock.now()), "DATETIME_FORMAT")],
        [_("Made by"), str(user)],
    ]
    for kind, run in runs.items():
        made = (
            formats.date_format(timezone.localtime(run.created_at), "DATETIME_FORMAT")
            if run
            else "—"
        )
        table.rows.append([str(RunKind(kind).label), made])
    return table
