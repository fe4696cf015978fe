"""The dashboard's population analyses: segments, association rules and demand forecasts
from the newest successful ``AnalyticsRun`` of the user's community (of every community
together for a superuser), and the open improvement findings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from careloop.analytics import selectors
from careloop.analytics.charts.base import (
    BRAND,
    INK,
    Chart,
    Scope,
    Table,
    is_chinese,
    make_figure,
    number,
    service_names,
)
from careloop.analytics.models import AnalyticsRun, Dimension, ImprovementFinding, RunKind
from careloop.core.models import User
from careloop.residents import tagging

TOP_RULES = 10
RULES_CHARTED = 25
FORECASTS_SHOWN = 6
HISTORY_WEEKS_SHOWN = 26


# ---- reads ------------------------------------------------------------------------------------


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


# ---- segments and rules -----------------------------------------------------------------------


def segment_rows(run: AnalyticsRun | None) -> list[dict[str, Any]]:
    """The segments of a run, each with ``number`` (from 1) and ``description`` in the
    active language."""
    if run is None:
        return []
    chinese = is_chinese()
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
        figure = make_figure(
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
        figure = make_figure(
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


# ---- forecasts --------------------------------------------------------------------------------


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
    figure = make_figure(
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


# ---- improvement findings ---------------------------------------------------------------------


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
