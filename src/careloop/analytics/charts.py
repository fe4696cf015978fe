"""What the console dashboard shows: its reads (through the scoped selectors), the Plotly
figures (drawn by ``static/analytics/dashboard.js``) and the table behind each chart, which
the CSV export and the monthly Excel report write out.

Every chart is a ``Chart``: a key (``kpis``, ``trend-<KPI code>``, ``quadrant``,
``deadlines``, ``segments``, ``rules``, ``forecast``, ``findings``), a title, a Plotly figure
as plain JSON (``None`` for table-only charts) and a ``Table`` of the same numbers. Figures
are built with ``plotly.graph_objects`` (validated) and the empty ``"none"`` template, so the
page carries only what it draws.

Definitions:

- open demands are those in ``OPEN_STATUSES``; the team filter keeps residents whose contract
  in force is with the team, the service filter the demands of that service;
- a demand's next deadline is ``due_respond_at`` while nobody has accepted it, then
  ``due_match_at`` until it is booked; booked or started demands have none. "Overdue" is a
  deadline already past, "due today" before local midnight, "due this week" after today and
  before Monday 00:00 (Asia/Shanghai);
- segments, rules and forecasts come from the newest successful ``AnalyticsRun`` of the
  user's community (of every community together for a superuser).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from careloop.analytics import kpis as kpi_module
from careloop.analytics import selectors
from careloop.analytics.kpis import AMBER, GREEN, NONE, RED, KpiValue
from careloop.analytics.models import AnalyticsRun, Dimension, ImprovementFinding, RunKind
from careloop.catalogue.models import Service
from careloop.core import clock
from careloop.core.models import Community, User
from careloop.demands.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Demand,
    DemandStatus,
    Quadrant,
)
from careloop.demands.selectors import demands_visible_to
from careloop.residents import tagging
from careloop.residents.models import CareContract, CareTeam, ContractStatus

TREND_MONTHS = 12
TOP_RULES = 10
RULES_CHARTED = 25
FORECASTS_SHOWN = 6
HISTORY_WEEKS_SHOWN = 26
UNBOOKED = (*WAITING_STATUSES, DemandStatus.ACCEPTED)

INK, SOFT, LINE, BRAND = "#1f2933", "#52606d", "#d9e2ec", "#0b6e69"
STATUS_COLOURS = {GREEN: "#1e8e3e", AMBER: "#d97706", RED: "#c62828", NONE: "#7b8794"}
FONT = "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', system-ui, sans-serif"


@dataclass(frozen=True)
class Scope:
    """The filters after ``selectors.scope_for``: community (None: every community, for a
    superuser), team, service and the month's first day."""

    community: Community | None
    team: CareTeam | None
    service: Service | None
    month: date


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Chart:
    key: str
    title: str
    figure: dict[str, Any] | None
    table: Table
    note: str = ""


@dataclass(frozen=True)
class Tile:
    """One KPI as the dashboard shows it."""

    kpi: KpiValue
    higher_is_better: bool

    @property
    def value(self) -> str:
        return number(self.kpi.value)

    @property
    def unit(self) -> str:
        return unit_label(self.kpi.unit)

    @property
    def target(self) -> str:
        if self.kpi.target is None:
            return _("No target yet")
        values = {"target": number(self.kpi.target), "unit": self.unit}
        if self.higher_is_better:
            return _("Target ≥ %(target)s %(unit)s") % values
        return _("Target ≤ %(target)s %(unit)s") % values

    @property
    def status(self) -> str:
        return status_label(self.kpi)

    @property
    def relative_target(self) -> bool:
        return kpi_module.KPIS[self.kpi.code].target is None


# ---- words and numbers ------------------------------------------------------------------------


def number(value: float | None) -> str:
    """A KPI figure as shown: at most two decimals, no trailing zeros; "—" for none."""
    if value is None:
        return "—"
    return f"{round(float(value), 2):g}"


def unit_label(unit: str) -> str:
    return {"h": pgettext("unit", "h"), "min": pgettext("unit", "min")}.get(unit, unit)


def status_label(kpi: KpiValue) -> str:
    if kpi.value is None:
        return _("No data")
    return {
        GREEN: _("On target"),
        AMBER: _("Close to target"),
        RED: _("Off target"),
    }.get(kpi.status, _("No target yet"))


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def _chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


# ---- reads ------------------------------------------------------------------------------------


def tiles(user: User, scope: Scope) -> list[Tile]:
    values = selectors.kpis_for(
        user, community=scope.community, team=scope.team, service=scope.service,
        month=scope.month,
    )  # fmt: skip
    return [Tile(kpi, kpi_module.KPIS[kpi.code].higher_is_better) for kpi in values]


def trends(user: User, scope: Scope) -> dict[str, list[tuple[date, float | None]]]:
    return {
        code: selectors.kpi_trend_for(
            user,
            code,
            months=TREND_MONTHS,
            community=scope.community,
            team=scope.team,
            service=scope.service,
        )
        for code in kpi_module.KPI_CODES
    }


def _team_residents(team: CareTeam) -> QuerySet[CareContract]:
    return CareContract.objects.filter(status=ContractStatus.ACTIVE, team=team).values(
        "resident_id"
    )


def scoped_demands(user: User, scope: Scope) -> QuerySet[Demand]:
    """The demands ``user`` sees, narrowed to the scope's community, team and service."""
    demands = demands_visible_to(user).order_by()
    if scope.community is not None:
        demands = demands.filter(resident__community=scope.community)
    if scope.team is not None:
        demands = demands.filter(resident_id__in=_team_residents(scope.team))
    if scope.service is not None:
        demands = demands.filter(service=scope.service)
    return demands


def open_counts(user: User, scope: Scope) -> dict[str, int]:
    """Open demands per quadrant (``Q1``…``Q4``) and by next deadline (``overdue``,
    ``today``, ``week``), and ``total``: one query."""
    now = clock.now()
    tz = timezone.get_default_timezone()
    today = timezone.localtime(now, tz).date()
    tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
    monday = datetime.combine(today + timedelta(days=7 - today.weekday()), time.min, tzinfo=tz)
    next_due = Case(
        When(status__in=WAITING_STATUSES, then=F("due_respond_at")),
        When(status__in=UNBOOKED, booking__isnull=True, then=F("due_match_at")),
        default=None,
        output_field=DateTimeField(),
    )
    counts = (
        scoped_demands(user, scope)
        .filter(status__in=OPEN_STATUSES)
        .annotate(next_due=next_due)
        .aggregate(
            total=Count("pk"),
            **{q.value: Count("pk", filter=Q(quadrant=q.value)) for q in Quadrant},
            overdue=Count("pk", filter=Q(next_due__lt=now)),
            today=Count("pk", filter=Q(next_due__gte=now, next_due__lt=tomorrow)),
            week=Count("pk", filter=Q(next_due__gte=tomorrow, next_due__lt=monday)),
        )
    )
    return {key: int(value or 0) for key, value in counts.items()}


def latest_runs(user: User, scope: Scope) -> dict[str, AnalyticsRun | None]:
    kinds = (RunKind.SEGMENTS, RunKind.RULES, RunKind.FORECAST)
    return {
        str(kind): selectors.latest_run_for(user, kind, community=scope.community) for kind in kinds
    }


def open_findings(user: User, scope: Scope) -> list[ImprovementFinding]:
    findings = selectors.open_findings_for(user)
    if scope.community is not None:
        findings = findings.filter(community=scope.community)
    if scope.service is not None:
        findings = findings.filter(service=scope.service)
    if scope.team is not None:
        findings = findings.filter(team=scope.team)
    return list(findings)


def service_names(codes: Iterable[str]) -> dict[str, str]:
    return {s.code: s.name for s in Service.objects.filter(code__in=set(codes))}


# ---- figures ----------------------------------------------------------------------------------


def _figure(traces: Sequence[Any], **layout: Any) -> dict[str, Any]:
    import plotly.graph_objects as go

    base: dict[str, Any] = {
        "template": "none",
        "height": 260,
        "margin": {"l": 56, "r": 16, "t": 16, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 14, "color": INK},
        "legend": {"orientation": "h", "x": 0, "y": -0.2, "font": {"color": SOFT}},
        "hovermode": "closest",
        "separators": ".,",
    }
    for axis in ("xaxis", "yaxis"):
        base[axis] = {"gridcolor": LINE, "linecolor": LINE, "zeroline": False,
                      "automargin": True, **layout.pop(axis, {})}  # fmt: skip
    figure = go.Figure(data=list(traces), layout={**base, **layout})
    return json.loads(figure.to_json())


def _month_axis(months: Sequence[date]) -> list[str]:
    return [m.isoformat() for m in months]


def trend_chart(tile: Tile, series: list[tuple[date, float | None]], selected: date) -> Chart:
    kpi = tile.kpi
    months = [m for m, _v in series]
    values = [v for _m, v in series]
    table = Table([_("Month"), _("Value"), _("Target"), pgettext("dashboard", "Unit")])
    for month, value in series:
        table.rows.append([month_label(month), value, kpi.target, kpi.unit])
    traces = [
        {"type": "scatter", "mode": "lines+markers", "name": kpi.name,
         "x": _month_axis(months), "y": values, "connectgaps": False,
         "line": {"color": BRAND, "width": 3}, "marker": {"size": 7},
         "hovertemplate": "%{x|%Y-%m}: %{y} " + tile.unit + "<extra></extra>"},
    ]  # fmt: skip
    if kpi.target is not None:
        traces.append(
            {"type": "scatter", "mode": "lines", "name": _("Target"),
             "x": _month_axis(months), "y": [kpi.target] * len(months),
             "line": {"color": STATUS_COLOURS[RED], "width": 2, "dash": "dash"},
             "hovertemplate": _("Target") + " %{y} " + tile.unit + "<extra></extra>"}
        )  # fmt: skip
    shapes = []
    if months and months[0] <= selected <= months[-1]:
        shapes.append(
            {"type": "line", "xref": "x", "x0": selected.isoformat(), "x1": selected.isoformat(),
             "yref": "paper", "y0": 0, "y1": 1, "line": {"color": SOFT, "width": 1, "dash": "dot"}}
        )  # fmt: skip
    figure = _figure(
        traces,
        shapes=shapes,
        showlegend=True,
        xaxis={"type": "date", "tickformat": "%Y-%m", "dtick": "M2", "fixedrange": True},
        yaxis={"title": {"text": tile.unit}, "rangemode": "tozero", "fixedrange": True},
    )
    return Chart(f"trend-{kpi.code}", kpi.name, figure, table)


def _quadrant_names() -> dict[str, str]:
    return {q.value: str(q.label) for q in Quadrant}


def quadrant_chart(counts: dict[str, int]) -> Chart:
    names = _quadrant_names()
    table = Table([_("Quadrant"), _("Meaning"), _("Open demands")])
    for q in Quadrant:
        table.rows.append([q.value, names[q.value], counts.get(q.value, 0)])

    def cell(q: str) -> str:
        # Plain text: rich-text tags (<b>) become style attributes, which CSP refuses.
        return f"{q} {names[q]}<br>{counts.get(q, 0)}"

    grid = [["Q4", "Q3"], ["Q2", "Q1"]]  # rows bottom to top: not important, important
    figure = _figure(
        [{"type": "heatmap", "x": [_("Not urgent"), _("Urgent")],
          "y": [_("Not important"), _("Important")],
          "z": [[counts.get(q, 0) for q in row] for row in grid],
          "text": [[cell(q) for q in row] for row in grid], "texttemplate": "%{text}",
          "textfont": {"size": 16}, "hoverinfo": "skip", "showscale": False, "xgap": 6,
          "ygap": 6, "colorscale": [[0, "#e3f3f1"], [1, "#5fb3ab"]]}],
        height=320,
        xaxis={"side": "top", "fixedrange": True, "showgrid": False, "linecolor": "rgba(0,0,0,0)"},
        yaxis={"fixedrange": True, "showgrid": False, "linecolor": "rgba(0,0,0,0)"},
    )  # fmt: skip
    return Chart("quadrant", _("Priority quadrant of open demands"), figure, table)


def deadline_buckets() -> list[tuple[str, str, str]]:
    return [
        ("overdue", _("Overdue"), STATUS_COLOURS[RED]),
        ("today", _("Due today"), STATUS_COLOURS[AMBER]),
        ("week", _("Due later this week"), BRAND),
    ]


def deadline_chart(counts: dict[str, int]) -> Chart:
    buckets = deadline_buckets()
    table = Table([_("Deadline"), _("Open demands")])
    table.rows = [[label, counts.get(key, 0)] for key, label, _c in buckets]
    figure = _figure(
        [{"type": "bar", "x": [label for _k, label, _c in buckets],
          "y": [counts.get(key, 0) for key, _l, _c in buckets],
          "marker": {"color": [colour for _k, _l, colour in buckets]},
          "text": [counts.get(key, 0) for key, _l, _c in buckets], "textposition": "outside",
          "cliponaxis": False, "hovertemplate": "%{x}: %{y}<extra></extra>"}],
        showlegend=False,
        xaxis={"fixedrange": True},
        yaxis={"rangemode": "tozero", "fixedrange": True},
    )  # fmt: skip
    return Chart("deadlines", _("Open demands by deadline"), figure, table)


def segment_rows(run: AnalyticsRun | None) -> list[dict[str, Any]]:
    """The segments of a run, each with ``number`` (from 1) and ``description`` in the
    active language."""
    if run is None:
        return []
    chinese = _chinese()
    return [
        {**segment, "number": segment["label"] + 1,
         "description": segment["description_zh" if chinese else "description_en"]}
        for segment in run.result.get("segments", [])
    ]  # fmt: skip


def segments_chart(run: AnalyticsRun | None) -> Chart:
    segments = segment_rows(run)
    features = run.result.get("features", []) if run is not None else []
    table = Table([_("Segment"), _("Description"), _("Residents"), _("Share (%)"), *features])
    for s in segments:
        table.rows.append(
            [s["number"], s["description"], s["size"], round(100 * s["share"], 1),
             *[s["centroid"].get(f) for f in features]]
        )  # fmt: skip
    names = [_("Segment %(number)s") % {"number": s["number"]} for s in segments]
    figure = None
    if segments:
        figure = _figure(
            [{"type": "bar", "orientation": "h", "y": names, "x": [s["size"] for s in segments],
              "text": [f"{100 * s['share']:.0f}% · {s['description']}" for s in segments],
              "textposition": "auto", "marker": {"color": BRAND},
              "hovertemplate": "%{y}: %{x}<extra></extra>"}],
            height=max(220, 48 * len(segments) + 60),
            showlegend=False,
            xaxis={"title": {"text": _("Residents")}, "fixedrange": True},
            yaxis={"autorange": "reversed", "fixedrange": True},
        )  # fmt: skip
    return Chart("segments", _("Population segments"), figure, table)


def item_label(item: str, services: dict[str, str]) -> str:
    """``cond:diabetes`` → 糖尿病, ``svc:<code>`` → the service's name."""
    kind, _sep, code = item.partition(":")
    if kind == "svc":
        return services.get(code, code)
    return tagging.tag_label(code, get_language() or "zh-hans")


def rule_rows(run: AnalyticsRun | None, limit: int | None = TOP_RULES) -> list[dict[str, Any]]:
    if run is None:
        return []
    rules = run.result.get("rules", [])[:limit]
    names = service_names(
        item.partition(":")[2]
        for rule in rules
        for item in (*rule["antecedents"], *rule["consequents"])
        if item.startswith("svc:")
    )
    return [
        {**rule, "if": " + ".join(item_label(i, names) for i in rule["antecedents"]),
         "then": " + ".join(item_label(i, names) for i in rule["consequents"])}
        for rule in rules
    ]  # fmt: skip


def rules_chart(run: AnalyticsRun | None) -> Chart:
    rules = rule_rows(run, limit=None)
    table = Table([_("If"), _("Then"), _("Support"), _("Confidence"), _("Lift")])
    table.rows = [[r["if"], r["then"], r["support"], r["confidence"], r["lift"]] for r in rules]
    charted = rules[:RULES_CHARTED]
    figure = None
    if charted:
        figure = _figure(
            [{"type": "scatter", "mode": "markers", "x": [r["support"] for r in charted],
              "y": [r["confidence"] for r in charted], "customdata": [r["lift"] for r in charted],
              "text": [f"{r['if']} → {r['then']}" for r in charted],
              # Lift as size and colour, without a colour bar (its SVG needs inline styles).
              "marker": {"size": [10 + 6 * min(r["lift"], 5) for r in charted],
                         "color": [r["lift"] for r in charted], "colorscale": "Teal",
                         "showscale": False, "line": {"width": 1, "color": BRAND}},
              "hovertemplate": "%{text}<br>" + _("Support") + " %{x:.1%} · " + _("Confidence")
              + " %{y:.0%} · " + _("Lift") + " %{customdata:.2f}<extra></extra>"}],
            showlegend=False,
            height=300,
            xaxis={"title": {"text": _("Support")}, "tickformat": ".0%"},
            yaxis={"title": {"text": _("Confidence")}, "tickformat": ".0%"},
        )  # fmt: skip
    return Chart("rules", _("Association rules"), figure, table)


def forecast_services(run: AnalyticsRun | None) -> list[tuple[str, dict[str, Any]]]:
    """The forecast services, those with a staffing hint first, then by expected volume."""
    if run is None:
        return []
    services = run.result.get("services", {})
    return sorted(
        services.items(),
        key=lambda item: (not item[1].get("staffing"), -sum(item[1].get("forecast", []))),
    )


def staffing_hints(run: AnalyticsRun | None, names: dict[str, str]) -> list[str]:
    hints = []
    for code, data in forecast_services(run):
        for hint in data.get("staffing", []):
            values = {
                "service": names.get(code, code),
                "week": hint.get("iso_week") or hint["step"],
                "start": hint.get("week") or "",
                "expected": f"{hint['expected']:.0f}",
                "ratio": f"{hint['ratio']:.1f}",
            }
            hints.append(
                _(
                    "%(service)s: about %(expected)s requests expected in week %(week)s "
                    "(from %(start)s), %(ratio)s times the recent weekly average — plan staff "
                    "ahead."
                )
                % values
            )
    return hints


def forecast_chart(code: str, name: str, data: dict[str, Any]) -> Chart:
    history = data.get("history", [])[-HISTORY_WEEKS_SHOWN:]
    weeks = data.get("history_weeks", [])[-HISTORY_WEEKS_SHOWN:]
    future = data.get("weeks") or []
    traces = [
        {"type": "scatter", "mode": "lines", "name": _("Demands per week"), "x": weeks,
         "y": history, "line": {"color": INK, "width": 2}},
        {"type": "scatter", "mode": "lines", "name": _("Upper bound"), "x": future,
         "y": data["upper"], "line": {"width": 0}, "showlegend": False,
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": _("95% prediction interval"), "x": future,
         "y": data["lower"], "fill": "tonexty", "fillcolor": "rgba(11, 110, 105, 0.18)",
         "line": {"width": 0}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines+markers", "name": _("Forecast"), "x": future,
         "y": data["forecast"], "line": {"color": BRAND, "width": 3, "dash": "dash"}},
    ]  # fmt: skip
    figure = _figure(
        traces,
        xaxis={"type": "date", "tickformat": "%m-%d", "fixedrange": True},
        yaxis={"title": {"text": _("Demands per week")}, "rangemode": "tozero",
               "fixedrange": True},
    )  # fmt: skip
    backtest = data.get("backtest") or {}
    note = ""
    if backtest:
        note = _(
            "Model %(model)s · back-test error (MAE) %(model_mae)s, naive seasonal baseline "
            "%(baseline_mae)s"
        ) % {
            "model": data.get("model", ""),
            "model_mae": number(backtest.get("model_mae")),
            "baseline_mae": number(backtest.get("baseline_mae")),
        }
    return Chart(f"forecast-{code}", name, figure, forecast_table([(code, name, data)]), note)


def forecast_table(series: Iterable[tuple[str, str, dict[str, Any]]]) -> Table:
    table = Table(
        [
            _("Service code"),
            _("Service"),
            pgettext("dashboard", "Week"),
            _("Kind"),
            pgettext("dashboard", "Demands"),
            _("Lower bound"),
            _("Upper bound"),
        ]
    )
    for code, name, data in series:
        for week, value in zip(data.get("history_weeks", []), data.get("history", []),
                               strict=False):  # fmt: skip
            table.rows.append([code, name, week, _("Observed"), value, None, None])
        for i, value in enumerate(data.get("forecast", [])):
            week = (data.get("weeks") or [None] * (i + 1))[i]
            table.rows.append(
                [code, name, week, _("Forecast"), value, data["lower"][i], data["upper"][i]]
            )
    return table


def forecast_charts(run: AnalyticsRun | None, scope: Scope) -> tuple[list[Chart], int]:
    """The forecast charts to show and how many services were forecast in all."""
    services = forecast_services(run)
    if scope.service is not None:
        services = [(c, d) for c, d in services if c == scope.service.code]
    names = service_names(code for code, _d in services)
    shown = [forecast_chart(code, names.get(code, code), data)
             for code, data in services[:FORECASTS_SHOWN]]  # fmt: skip
    return shown, len(services)


def all_forecasts(run: AnalyticsRun | None, scope: Scope) -> Chart:
    services = forecast_services(run)
    if scope.service is not None:
        services = [(c, d) for c, d in services if c == scope.service.code]
    names = service_names(code for code, _d in services)
    table = forecast_table((code, names.get(code, code), data) for code, data in services)
    return Chart("forecast", _("Demand forecast"), None, table)


def finding_scope(finding: ImprovementFinding) -> str:
    if finding.service is not None:
        return finding.service.name
    if finding.team is not None:
        return finding.team.name
    return finding.scope_code


def finding_summary(finding: ImprovementFinding) -> str:
    evidence = finding.evidence or {}
    total = evidence.get("total", finding.sample_size)
    return _(
        "%(satisfied)s of %(total)s ratings gave 4 or 5 stars (%(rate)s%%, threshold "
        "%(threshold)s%%)"
    ) % {
        "satisfied": evidence.get("satisfied", "—"),
        "total": total,
        "rate": number(finding.rate),
        "threshold": number(finding.threshold),
    }


def last_day(finding: ImprovementFinding) -> date:
    """The last local day of the finding's window (``window_end`` is exclusive)."""
    return timezone.localtime(finding.window_end).date() - timedelta(days=1)


def findings_table(findings: Iterable[ImprovementFinding]) -> Table:
    table = Table([_("Service or team"), _("Dimension"), _("Satisfaction (%)"),
                   _("Threshold (%)"), _("Ratings"), _("From"), _("To"), _("Status"),
                   _("Evidence")])  # fmt: skip
    tz = timezone.get_default_timezone()
    for f in findings:
        table.rows.append(
            [finding_scope(f), str(Dimension(f.dimension).label), f.rate, f.threshold,
             f.sample_size, timezone.localtime(f.window_start, tz).date().isoformat(),
             last_day(f).isoformat(), f.get_status_display(), finding_summary(f)]
        )  # fmt: skip
    return table


def kpi_table(tiles: Iterable[Tile]) -> Table:
    table = Table(
        [
            _("Code"),
            _("Indicator"),
            _("Value"),
            pgettext("dashboard", "Unit"),
            _("Target"),
            _("Status"),
            _("Sample"),
        ]
    )
    for tile in tiles:
        kpi = tile.kpi
        table.rows.append(
            [kpi.code, kpi.name, kpi.value, tile.unit, kpi.target, tile.status, kpi.sample]
        )
    return table


# ---- one chart for the CSV export -------------------------------------------------------------

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
