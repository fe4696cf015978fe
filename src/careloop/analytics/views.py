"""The console dashboard for centre directors and quality managers: KPIs against targets,
trends, open demands by priority and deadline, the population analyses, improvement
findings; each chart as CSV, the month as an Excel report, and "run the analyses now".

Filters (query string, the same on every page here): ``month`` (YYYY-MM, default this
month), ``team`` (care team public id) and ``service`` (service code). A team or service
outside the user's community is "not found" (404); a malformed month is 400.
"""

from __future__ import annotations

import csv
import io
import time as timer
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from careloop.analytics import charts, report, selectors, services, tasks
from careloop.analytics.models import RunKind, RunStatus
from careloop.catalogue.models import Service
from careloop.core import clock
from careloop.core.errors import DomainError
from careloop.core.forms import model_choice_field
from careloop.core.models import User
from careloop.core.views import chrome, page_access
from careloop.demands.models import Quadrant
from careloop.observations.views import plotly_url
from careloop.residents.models import CareTeam

# Run at once when asked; the forecast (an ARIMA model per service: the slow one) goes to the
# job queue and appears when done.
RUN_NOW_KINDS = (RunKind.SEGMENTS, RunKind.DESCRIBE, RunKind.RULES)
QUEUED_KINDS = (RunKind.FORECAST,)
FIRST_MONTH = date(2000, 1, 1)


class FilterForm(forms.Form):
    month = forms.RegexField(
        label=gettext_lazy("Month"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False,
        error_messages={"invalid": gettext_lazy("Enter a month as YYYY-MM.")},
    )  # fmt: skip
    team = forms.ModelChoiceField(
        label=gettext_lazy("Care team"), queryset=CareTeam.objects.none(), required=False,
        to_field_name="public_id", empty_label=gettext_lazy("All teams"),
    )  # fmt: skip
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"), queryset=Service.objects.none(), required=False,
        to_field_name="code", empty_label=gettext_lazy("All services"),
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = CareTeam.objects.order_by("name")
        if not user.is_superuser:
            assert user.community_id is not None  # the pages ask can_view_analytics
            teams = teams.filter(community_id=user.community_id)
        model_choice_field(self, "team").queryset = teams
        services = Service.objects.filter(active=True).order_by("tier", "sort_order", "code")
        model_choice_field(self, "service").queryset = services

    def clean_month(self) -> date:
        value = self.cleaned_data.get("month")
        this_month = clock.today().replace(day=1)
        if not value:
            return this_month
        year, month = (int(part) for part in value.split("-"))
        chosen = date(year, month, 1)
        if not FIRST_MONTH <= chosen <= this_month:
            raise forms.ValidationError(_("Choose a month up to this one."))
        return chosen


@dataclass
class Filters:
    form: FilterForm
    scope: charts.Scope
    query: str  # the filters as a query string, for links
    valid: bool  # False: a malformed month (the scope then has this month)


def _filters(params: QueryDict, user: User) -> Filters:
    """The scope the query string asks for. A team or service the user may not pick is
    404; a malformed month leaves the form with its error and the scope on this month."""
    form = FilterForm(params or None, user=user)
    valid = not params or form.is_valid()
    if not valid and ("team" in form.errors or "service" in form.errors):
        raise Http404
    data = form.cleaned_data if params and valid else {}
    month = data.get("month") or clock.today().replace(day=1)
    community, team = selectors.scope_for(user, team=data.get("team"))
    scope = charts.Scope(community, team, data.get("service"), month)
    query = {"month": charts.month_key(month)}
    if team is not None:
        query["team"] = team.public_id
    if scope.service is not None:
        query["service"] = scope.service.code
    return Filters(form, scope, "&".join(f"{k}={quote(v)}" for k, v in query.items()), valid)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# ---- the dashboard ----------------------------------------------------------------------------


@require_GET
@page_access(selectors.can_view_analytics)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = _filters(request.GET, user)
    scope = filters.scope
    series = charts.trends(user, scope)
    tiles = charts.tiles(user, scope, series)
    counts = charts.open_counts(user, scope)
    runs = charts.latest_runs(user, scope)
    trend_charts = [charts.trend_chart(t, series[t.kpi.code], scope.month) for t in tiles]
    segments = charts.segments_chart(runs[RunKind.SEGMENTS])
    rules = charts.rules_chart(runs[RunKind.RULES])
    forecast_run = runs[RunKind.FORECAST]
    forecasts, forecast_count = charts.forecast_charts(forecast_run, scope)
    names = charts.service_names(code for code, _d in charts.forecast_services(forecast_run))
    findings = charts.open_findings(user, scope)
    quadrant, deadlines = charts.quadrant_chart(counts), charts.deadline_chart(counts)
    drawn = [*trend_charts, quadrant, deadlines, segments, rules, *forecasts]
    context = {
        "filters": filters,
        "scope": scope,
        "month": charts.month_label(scope.month),  # "2026年3月"
        "month_value": charts.month_key(scope.month),  # "2026-03", for the month input
        "month_to_date": charts.month_to_date(scope.month),
        "today": clock.today(),
        "tiles": tiles,
        "trend_charts": trend_charts,
        "counts": counts,
        "quadrant_chart": quadrant,
        "deadline_chart": deadlines,
        "quadrants": [(q, q.label, counts.get(q.value, 0)) for q in Quadrant],
        "deadlines": [
            (key, label, counts.get(key, 0)) for key, label, _c in charts.deadline_buckets()
        ],
        "runs": runs,
        "has_runs": any(runs.values()),
        "failed": _failed_runs(user, scope, runs),
        "segments": segments,
        "segment_rows": charts.segment_rows(runs[RunKind.SEGMENTS]),
        "rules": rules,
        "rule_rows": charts.rule_rows(runs[RunKind.RULES]),
        "forecasts": forecasts,
        "forecast_count": forecast_count,
        "staffing": charts.staffing_hints(forecast_run, names),
        "findings": [
            (f, charts.finding_scope(f), charts.finding_summary(f), charts.last_day(f))
            for f in findings
        ],
        "chart_data": {
            "figures": {chart.key: chart.figure for chart in drawn if chart.figure},
            "labels": {"png": _("Download as PNG")},
            "suffix": charts.month_key(scope.month),  # PNG file names
        },
        "plotly_url": plotly_url(),
        **chrome(request, "analytics"),
    }
    return render(
        request, "analytics/dashboard.html", context, status=200 if filters.valid else 400
    )


def _failed_runs(user: User, scope: charts.Scope, runs: dict[str, Any]) -> list[tuple[str, str]]:
    """Kinds with no successful run whose latest attempt failed: ``(label, error)``."""
    wanted = [kind for kind in runs if runs[kind] is None]
    if not wanted:
        return []
    failed = []
    recent = selectors.runs_visible_to(user).filter(
        community=scope.community, kind__in=wanted, status=RunStatus.FAILED
    )
    for kind in wanted:
        run = recent.filter(kind=kind).defer("result", "parameters", "snapshot").first()
        if run is not None:
            failed.append((str(RunKind(kind).label), run.error))
    return failed


# ---- run the analyses now ---------------------------------------------------------------------


@require_POST
@page_access(selectors.can_view_analytics)
def run_now(request: HttpRequest) -> HttpResponse:
    """Segments, statistics and rules now (seconds); the forecast is queued."""
    user = _user(request)
    community, _team = selectors.scope_for(user)
    started = timer.perf_counter()
    try:
        runs = services.run_analytics(actor=user, kinds=RUN_NOW_KINDS, community=community)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("analytics:dashboard")
    transaction.on_commit(
        partial(tasks.run_analytics_now, user.pk, community.pk if community else None,
                [str(kind) for kind in QUEUED_KINDS])
    )  # fmt: skip
    seconds = f"{timer.perf_counter() - started:.1f}"
    failed = [str(RunKind(run.kind).label) for run in runs if run.status == RunStatus.FAILED]
    messages.success(
        request,
        _(
            "The analyses ran in %(seconds)s s. The demand forecast is being computed in the "
            "background: reload this page in a minute."
        )
        % {"seconds": seconds},
    )
    if failed:
        messages.error(
            request,
            _("Not enough data for: %(kinds)s.") % {"kinds": "、".join(failed)},
        )
    return redirect(reverse("analytics:dashboard") + "#analyses")


# ---- CSV and Excel ----------------------------------------------------------------------------


def _scope_or_400(request: HttpRequest) -> charts.Scope | None:
    filters = _filters(request.GET, _user(request))
    return filters.scope if filters.valid else None


def _cell(value: Any) -> Any:
    return "" if value is None else value


@require_GET
@page_access(selectors.can_view_analytics)
def export_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's numbers as CSV, UTF-8 with a byte-order mark (Excel reads Chinese)."""
    scope = _scope_or_400(request)
    if scope is None:
        return HttpResponseBadRequest(_("Enter a month as YYYY-MM."))
    found = charts.chart_for(_user(request), scope, chart)
    if found is None:
        raise Http404
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(found.table.headers)
    writer.writerows([_cell(value) for value in row] for row in found.table.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"careloop-{chart}-{charts.month_key(scope.month)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@page_access(selectors.can_view_analytics)
def monthly_report(request: HttpRequest) -> HttpResponse:
    """The month as an Excel workbook (``report.monthly_report``)."""
    scope = _scope_or_400(request)
    if scope is None:
        return HttpResponseBadRequest(_("Enter a month as YYYY-MM."))
    data = report.monthly_report(_user(request), scope)
    response = HttpResponse(data, content_type=report.CONTENT_TYPE)
    month = charts.month_key(scope.month)
    ascii_name = f"careloop-report-{month}.xlsx"
    chinese_name = report.filename(scope)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"
    )
    return response
