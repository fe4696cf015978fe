"""What the console dashboard shows: its reads (through the scoped selectors), the Plotly
figures (drawn by ``static/analytics/dashboard.js``) and the table behind each chart, which
the CSV export and the monthly Excel report write out.

- ``base``: ``Scope``, ``Table``, ``Chart``, the figure builder, numbers and months;
- ``indicators``: the KPI tiles, their 12-month trends, open demands by quadrant and deadline
  (and what "month to date" and an incomplete light mean);
- ``population``: segments, association rules, forecasts and improvement findings.

Everything is re-exported here (``charts.tiles``, ``charts.Scope``…); ``chart_for`` picks
one chart by key for the CSV export.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from careloop.analytics import kpis as kpi_module
from careloop.analytics import selectors
from careloop.analytics.charts.base import (
    BRAND,
    FONT,
    INK,
    LINE,
    PENDING,
    SOFT,
    STATUS_COLOURS,
    Chart,
    Scope,
    Table,
    is_chinese,
    make_figure,
    month_axis,
    month_key,
    month_label,
    month_tick,
    month_ticks,
    number,
    service_names,
    unit_label,
)
from careloop.analytics.charts.indicators import (
    TREND_MONTHS,
    UNBOOKED,
    Tile,
    deadline_buckets,
    deadline_chart,
    kpi_table,
    month_to_date,
    open_counts,
    previous_value,
    quadrant_chart,
    scoped_demands,
    status_label,
    tiles,
    trend_chart,
    trends,
)
from careloop.analytics.charts.population import (
    FORECASTS_SHOWN,
    HISTORY_WEEKS_SHOWN,
    RULES_CHARTED,
    TOP_RULES,
    all_forecasts,
    finding_scope,
    finding_summary,
    findings_table,
    forecast_chart,
    forecast_charts,
    forecast_services,
    forecast_table,
    item_label,
    last_day,
    latest_runs,
    open_findings,
    rule_rows,
    rules_chart,
    segment_rows,
    segments_chart,
    staffing_hints,
)
from careloop.analytics.models import RunKind
from careloop.core.models import User

__all__ = [
    "BRAND", "FONT", "FORECASTS_SHOWN", "HISTORY_WEEKS_SHOWN", "INK", "LINE", "PENDING",
    "RULES_CHARTED", "SIMPLE_CHARTS", "SOFT", "STATUS_COLOURS", "TOP_RULES", "TREND_MONTHS",
    "UNBOOKED", "Chart", "Scope", "Table", "Tile", "all_forecasts", "chart_for",
    "deadline_buckets", "deadline_chart", "finding_scope", "finding_summary", "findings_table",
    "forecast_chart", "forecast_charts", "forecast_services", "forecast_table", "is_chinese",
    "item_label", "kpi_table", "last_day", "latest_runs", "make_figure", "month_axis",
    "month_key", "month_label", "month_tick", "month_ticks", "month_to_date", "number",
    "open_counts", "open_findings", "previous_value", "quadrant_chart", "rule_rows",
    "rules_chart", "scoped_demands", "segment_rows", "segments_chart", "service_names",
    "staffing_hints", "status_label", "tiles", "trend_chart", "trends", "unit_label",
]  # fmt: skip

SIMPLE_CHARTS = ("kpis", "quadrant", "deadlines", "segments", "rules", "forecast", "findings")


def chart_for(user: User, scope: Scope, key: str) -> Chart | None:
    """The chart ``key`` alone (None: no such chart), reading only what it needs."""
    if key.startswith("trend-"):
        code = key.removeprefix("trend-")
        if code not in kpi_module.KPIS:
            return None
        tile = next(t for t in tiles(user, scope) if t.kpi.code == code)
        series = selectors.kpi_trend_for(
            user, code, months=TREND_MONTHS, community=scope.community, team=scope.team,
            service=scope.service,
        )  # fmt: skip
        return trend_chart(tile, series, scope.month)
    if key.startswith("forecast-"):
        code = key.removeprefix("forecast-")
        run = selectors.latest_run_for(user, RunKind.FORECAST, community=scope.community)
        data = run.result.get("services", {}).get(code) if run is not None else None
        if data is None:
            return None
        return forecast_chart(code, service_names([code]).get(code, code), data)
    if key == "kpis":
        return Chart(key, _("Indicators"), None, kpi_table(tiles(user, scope)))
    if key == "quadrant":
        return quadrant_chart(open_counts(user, scope))
    if key == "deadlines":
        return deadline_chart(open_counts(user, scope))
    if key == "segments":
        return segments_chart(selectors.latest_run_for(user, RunKind.SEGMENTS, scope.community))
    if key == "rules":
        return rules_chart(selectors.latest_run_for(user, RunKind.RULES, scope.community))
    if key == "forecast":
        run = selectors.latest_run_for(user, RunKind.FORECAST, community=scope.community)
        return all_forecasts(run, scope)
    if key == "findings":
        return Chart(key, _("Improvement findings"), None,
                     findings_table(open_findings(user, scope)))  # fmt: skip
    return None
