"""Analytics API, for centre directors and quality managers (others: 403): KPIs against their
targets, the latest stored segments and association rules, forecasts, and "run now".

A director or quality manager sees their own community; naming another community or a team
of another community is 404. A superuser may name any community (none: all of them).

- ``GET /kpis?community=&team=&service=&month=YYYY-MM``: ``[{"code", "name", "value",
  "target", "unit", "status", "sample", "pending", "best_case", "complete",
  "provisional"}]`` (``kpis`` explains each code and the open work; no month: all time).
- ``GET /analytics/segments`` and ``GET /analytics/rules``: the result of the latest
  successful stored run for the community, with its parameters and data snapshot. They do
  not compute on request (an analysis over a whole community is a batch job): before the
  first nightly run they answer 404 ``analytics.no_run``; ``POST /analytics/runs`` queues one.
- ``POST /analytics/forecast``: ``{"series": [weekly counts], "horizon": h}`` or
  ``{"service_code": "…", "horizon": h}`` (that service's weekly demands in the caller's
  community) → ``{"forecast", "lower", "upper", "model", "weeks", "backtest"}`` (95 %
  interval; the back-test compares the model with the naive seasonal baseline). 400 with
  field errors for an empty or too short series (fewer than 8 weeks), a horizon outside
  1–52, or an unknown service.
"""

# No "from __future__ import annotations": ninja reads the query parameters' types.
import math
import re
from datetime import date
from functools import partial
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.params.functions import Query  # the typed form of ninja.Query(...) as a default
from ninja.responses import Status

from careloop.analytics import features, selectors, tasks
from careloop.analytics.algorithms import forecast as forecast_module
from careloop.analytics.algorithms.backend import LocalBackend
from careloop.analytics.models import AnalyticsRun, RunKind
from careloop.analytics.schemas import (
    ForecastIn,
    ForecastOut,
    KpiOut,
    RulesOut,
    RunsIn,
    RunsQueuedOut,
    SegmentsOut,
)
from careloop.catalogue.models import Service
from careloop.core.api import current_user
from careloop.core.errors import DomainError, NotFoundError
from careloop.core.models import Community
from careloop.core.schemas import ErrorOut
from careloop.residents.models import CareTeam

MAX_SERIES = 520  # ten years of weeks
SERVICE_HISTORY_WEEKS = 156
MONTH = re.compile(r"^(\d{4})-(\d{2})$")

router = Router(tags=["analytics"])


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(
        "analytics.invalid", _("Please correct the marked fields."), fields={field: [message]}
    )


def _community(code: str) -> Community | None:
    if not code:
        return None
    community = Community.objects.filter(code=code).first()
    if community is None:
        raise NotFoundError("analytics.not_found", _("No such community or care team."))
    return community


def _team(public_id: str) -> CareTeam | None:
    if not public_id:
        return None
    team = CareTeam.objects.filter(public_id=public_id).first()
    if team is None:
        raise NotFoundError("analytics.not_found", _("No such community or care team."))
    return team


def _service(code: str, field: str) -> Service | None:
    if not code:
        return None
    service = Service.objects.filter(code=code).first()
    if service is None:
        raise _invalid(field, _("No service with this code."))
    return service


def _month(text: str) -> date | None:
    if not text:
        return None
    match = MONTH.match(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise _invalid("month", _("Give the month as YYYY-MM, for example 2026-03."))
    return date(int(match.group(1)), int(match.group(2)), 1)


def _run_out(run: AnalyticsRun) -> dict[str, Any]:
    return {
        "id": run.public_id,
        "kind": run.kind,
        "community": run.community.code if run.community is not None else None,
        "created_at": run.created_at,
        "duration_ms": run.duration_ms,
        "parameters": run.parameters,
        "snapshot": run.snapshot,
    }


def _latest(request: HttpRequest, kind: RunKind, community: str) -> AnalyticsRun:
    user = current_user(request)
    selectors.require_analytics(user)
    run = selectors.latest_run_for(user, kind, _community(community))
    if run is None:
        raise NotFoundError(
            "analytics.no_run",
            _(
                "This analysis has not run yet for this community. It runs every night; "
                "POST /api/v1/analytics/runs runs it now."
            ),
        )
    return run


@router.get("/kpis", response={200: list[KpiOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def list_kpis(
    request: HttpRequest, community: str = "", team: str = "", service: str = "", month: str = ""
) -> Any:
    """Every KPI of DOMAIN.md against its target, for the caller's community (a superuser:
    the one named, or all), narrowed to a care team (its public id), a service (its code)
    and a month of filing (``YYYY-MM``, Asia/Shanghai)."""
    user = current_user(request)
    selectors.require_analytics(user)
    return selectors.kpis_for(
        user,
        community=_community(community),
        team=_team(team),
        service=_service(service, "service"),
        month=_month(month),
    )


@router.get("/analytics/segments", response={200: SegmentsOut, 403: ErrorOut, 404: ErrorOut})
def latest_segments(request: HttpRequest, community: str = "") -> dict[str, Any]:
    """The population segments of the latest segmentation run (k-means, k chosen by the
    silhouette), each with its size, profile and description."""
    run = _latest(request, RunKind.SEGMENTS, community)
    return {"run": _run_out(run), **run.result}


@router.get("/analytics/rules", response={200: RulesOut, 403: ErrorOut, 404: ErrorOut})
def latest_rules(
    request: HttpRequest, community: str = "", limit: int = Query(50, ge=1, le=200)
) -> dict[str, Any]:
    """Association rules (conditions and tags → demanded services) of the latest run, by
    lift, at most ``limit`` of them."""
    run = _latest(request, RunKind.RULES, community)
    result = run.result
    return {
        "run": _run_out(run),
        "transactions": result.get("transactions", 0),
        "items": result.get("items", 0),
        "rules": result.get("rules", [])[:limit],
    }


@router.post("/analytics/forecast", response={200: ForecastOut, 400: ErrorOut, 403: ErrorOut})
def forecast(request: HttpRequest, payload: ForecastIn) -> dict[str, Any]:
    """Forecast weekly counts ``horizon`` weeks ahead (ARIMA with Fourier seasonality, the
    model chosen by AIC), with a 95 % interval and a back-test against the naive seasonal
    baseline when the series is long enough."""
    user = current_user(request)
    selectors.require_analytics(user)
    least = forecast_module.MIN_POINTS
    if (payload.series is None) == (payload.service_code is None):
        raise _invalid("series", _("Send either a series of weekly counts or a service code."))
    if payload.series is not None:
        field = "series"
        series: Any = payload.series
        if len(series) < least:
            raise _invalid(field, _("Send at least %(count)d weekly counts.") % {"count": least})
        if len(series) > MAX_SERIES:
            raise _invalid(
                field, _("Send at most %(count)d weekly counts.") % {"count": MAX_SERIES}
            )
        if not all(math.isfinite(v) and v >= 0 for v in series):
            raise _invalid(field, _("Weekly counts are numbers of zero or more."))
    else:
        field = "service_code"
        service = _service(payload.service_code or "", field)
        assert service is not None
        community, _no_team = selectors.scope_for(user)
        weekly = features.weekly_demand_counts(
            community, service=service, weeks=SERVICE_HISTORY_WEEKS
        ).frame
        if len(weekly) < least or service.code not in weekly:
            raise _invalid(
                field,
                _("This service has fewer than %(count)d weeks of demands to learn from.")
                % {"count": least},
            )
        series = weekly[service.code].astype(float)
    try:
        result = LocalBackend().forecast(series, horizon=payload.horizon)
    except ValueError:
        raise _invalid(field, _("No model could be fitted to this series.")) from None
    return {
        "forecast": result.forecast,
        "lower": result.lower,
        "upper": result.upper,
        "model": result.model,
        "weeks": result.weeks,
        "backtest": result.backtest.to_dict() if result.backtest else None,
    }


@router.post(
    "/analytics/runs", response={202: RunsQueuedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def start_runs(request: HttpRequest, payload: RunsIn, community: str = "") -> Status[Any]:
    """Queue the analyses now (they also run every night); their results replace the
    latest ones when done."""
    user = current_user(request)
    selectors.require_analytics(user)
    scope, _no_team = selectors.scope_for(user, community=_community(community))
    kinds = list(dict.fromkeys(payload.kinds))
    unknown = [kind for kind in kinds if kind not in RunKind.values]
    if unknown or not kinds:
        raise _invalid("kinds", _("Choose analyses among: describe, segments, rules, forecast."))
    transaction.on_commit(
        partial(tasks.run_analytics_now, user.pk, scope.pk if scope else None, kinds)
    )
    return Status(
        202, {"status": "queued", "kinds": kinds, "community": scope.code if scope else None}
    )
