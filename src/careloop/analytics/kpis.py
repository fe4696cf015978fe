"""The KPIs of the demand loop, exactly as DOMAIN.md defines them (seed 002 §5.4, §6.2),
computed by SQL aggregation over demands, ratings, conditions and readings.

Public API (the console dashboard builds on these; unscoped — callers acting for a user go
through ``selectors.kpis_for`` / ``selectors.kpi_trend_for``, which keep directors and
quality managers to their own community):

- ``compute_kpis(*, community=None, team=None, service=None, month=None) -> list[KpiValue]``:
  every KPI of ``KPIS`` in that order, each with its target and traffic light.
  ``community`` (``core.Community``), ``team`` (``residents.CareTeam``: residents whose
  contract in force is with the team) and ``service`` (``catalogue.Service``) narrow the
  demands; ``month`` (any day of it) keeps the demands filed in that calendar month, Asia/
  Shanghai time. ``month=None`` is every demand on record and the control rates as of now.
- ``kpi_trend(code, *, months=12, community=None, team=None, service=None)`` →
  ``[(first day of month, value or None), …]``, oldest first, the last ``months`` months up to
  and including the current one (months without data are ``None``). One query per KPI for
  the demand KPIs; one for a control rate, every month's end at once.
- ``KpiValue``, ``KPIS`` (the specs), ``KPI_CODES``, ``status_for``.

Definitions (``value`` is rounded to 2 decimals; ``sample`` is the count it is computed over):

- ``response_time_median_h`` (h, target ≤ 24): median of ``accepted_at − created_at`` of
  the *routine* demands that were accepted;
- ``response_time_p90_h`` (h, ≤ 24): the 90th percentile of the same;
- ``urgent_response_median_min`` (min, ≤ 30): the median of the same for *urgent* demands;
- ``match_success_rate`` (%, ≥ 95): demands with ``scheduled_at`` ≤ ``due_match_at`` ÷
  demands filed that were not withdrawn;
- ``identification_accuracy`` (%, ≥ 90): system-suggested demands the resident confirmed ÷
  *all* system-suggested demands, unanswered ones included (as DOMAIN.md says);
- ``satisfaction_rate`` (%, ≥ 90): ratings with overall ≥ 4 stars ÷ all ratings of the
  demands in scope;
- ``htn_control_rate`` (%, last year's rate + 5): residents with an active hypertension
  (ICD-10 I10–I15) whose latest blood pressure is below 140/90 mmHg ÷ all of them;
- ``dm_control_rate`` (%, last year's rate + 5): residents with an active diabetes (E10–E14)
  whose latest fasting glucose (meter or lab) is below 7.0 mmol/L ÷ all of them.

Interpretations:

- Percentiles interpolate linearly between the two nearest ranks (PostgreSQL's
  ``percentile_cont``, numpy's default): the median of an even count is the mean of the
  middle two. Critical demands (green channel) are in neither response time. Demands not yet
  accepted are not counted (``accepted_at`` is the current acceptance; a rejected and
  re-accepted demand counts from filing to the new acceptance).
- "Matched to a confirmed slot within SLA" is ``scheduled_at`` not empty and no later than
  ``due_match_at``. A withdrawn demand (by the resident, or staff for them) leaves both
  numerator and denominator; every other demand filed counts, open ones included.
- Ratings belong to the month their demand was filed in (like every demand KPI), and to the
  demand's service and resident's team.
- Control rates: a resident without any reading counts as not controlled (DOMAIN: "÷ all").
  A condition is active at a time T when it started by T (onset date, else the day it was
  recorded) and was not resolved by T. "Latest" reading is the last one measured before T,
  where T is the end of ``month``, or now for the current month and for ``month=None``
  (``kpi_trend`` likewise). The target is the same rate one year before T plus 5 points (at
  most 100); when no resident of that earlier denominator had a reading yet, there is no
  baseline: ``target`` is None and the status "none". Control rates are population
  measures: with a ``service`` filter they are not defined (None, "none"); ``team`` and
  ``community`` narrow the residents. Residents with an active contract with the team now
  count for the team, for demands and ratings too.
- Traffic lights (``status_for``): "green" meets the target; "amber" misses it by at most
  10 % *of the target* (response time ≤ 26.4 h, match rate ≥ 85.5 %); "red" misses it by
  more; "none" when there is no value (no data) or no target. The rounded value is judged.

Open work (``KpiValue.pending``, ``best_case``, ``complete``, ``provisional``): demands count
in the month they were filed, so a month not long over holds demands whose outcome is not in
yet, and the definitions above count them as not matched / not confirmed. The values keep
those definitions; beside them, from the same queries:

- ``pending``: for the match success rate, demands still open, not scheduled, whose match
  deadline is still ahead (they can still be matched in time); for the identification
  accuracy, open suggestions the resident has not answered (the portal asks only while the
  demand is open; a closed one's silence is final). 0 for the other KPIs: the response times
  count accepted demands only and satisfaction the ratings given, so open work does not lower
  them (it may still move them until the month is over);
- ``best_case``: the value if every pending demand ended in the numerator (the value is the
  worst case for the demands filed so far), None without pending ones;
- ``complete``: the month is over and nothing is pending (never for ``month=None``);
- ``provisional``: the pending demands could still change the traffic light (that of
  ``best_case`` differs from ``status``). ``status`` itself is unchanged: the dashboard shows
  a provisional KPI with a neutral light, "incomplete", instead of a red or amber that open
  work may still turn green; a light that open work can no longer change stands.

Percentiles are computed by ``percentiles`` (one ``percentile_cont`` aggregate on PostgreSQL,
a window query on SQLite), the control rates by ``control_rates`` (every moment asked for in
one query).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.analytics.control_rates import (
    BP_DIASTOLIC_BELOW,
    BP_SYSTOLIC_BELOW,
    DM_CODES,
    FASTING_GLUCOSE_BELOW,
    FASTING_GLUCOSE_CODES,
    HTN_CODES,
    control_rates,
    team_residents,
)
from careloop.analytics.percentiles import percentiles, seconds_between
from careloop.catalogue.models import Service
from careloop.core import clock
from careloop.core.models import Community
from careloop.demands.models import OPEN_STATUSES, Demand, DemandStatus, DemandTier, Rating
from careloop.residents.models import CareTeam

__all__ = [
    "AMBER", "BP_DIASTOLIC_BELOW", "BP_SYSTOLIC_BELOW", "DM_CODES", "FASTING_GLUCOSE_BELOW",
    "FASTING_GLUCOSE_CODES", "GREEN", "HTN_CODES", "KPIS", "KPI_CODES", "NONE", "RED",
    "KpiSpec", "KpiValue", "compute_kpis", "kpi_trend", "percentiles", "status_for",
]  # fmt: skip

GREEN, AMBER, RED, NONE = "green", "amber", "red", "none"
AMBER_MARGIN = 0.10  # "amber": within 10 % of the target (relative to the target)
CONTROL_GAIN = 5.0  # control-rate target: last year's rate + 5 points
SATISFIED_STARS = 4


@dataclass(frozen=True)
class KpiSpec:
    code: str
    name: Promise
    unit: str
    target: float | None  # None: computed per call (control rates)
    higher_is_better: bool


KPIS: dict[str, KpiSpec] = {
    spec.code: spec
    for spec in (
        KpiSpec("response_time_median_h", _("Response time (median)"), "h", 24.0, False),
        KpiSpec("response_time_p90_h", _("Response time (90th percentile)"), "h", 24.0, False),
        KpiSpec("urgent_response_median_min", _("Urgent response time (median)"), "min", 30.0,
                False),
        KpiSpec("match_success_rate", _("Match success rate"), "%", 95.0, True),
        KpiSpec("identification_accuracy", _("Demand identification accuracy"), "%", 90.0, True),
        KpiSpec("satisfaction_rate", _("Satisfaction rate"), "%", 90.0, True),
        KpiSpec("htn_control_rate", _("Hypertension control rate"), "%", None, True),
        KpiSpec("dm_control_rate", _("Diabetes control rate"), "%", None, True),
    )
}  # fmt: skip
KPI_CODES = tuple(KPIS)


@dataclass(frozen=True)
class KpiValue:
    """One KPI against its target. ``name`` is in the active language; ``status`` is
    "green", "amber", "red" or "none"; ``sample`` is the number of demands, ratings or
    residents the value is computed over; ``pending``, ``best_case``, ``complete`` and
    ``provisional`` say whether the value is final (see "Open work" in the module
    docstring)."""

    code: str
    name: str
    value: float | None
    target: float | None
    unit: str
    status: str
    sample: int = 0
    pending: int = 0
    best_case: float | None = None
    complete: bool = True
    provisional: bool = False


@dataclass(frozen=True)
class Scope:
    community: Community | None = None
    team: CareTeam | None = None
    service: Service | None = None


@dataclass(frozen=True)
class _Found:
    """A KPI's figures for one group: value, sample, open work and its best case."""

    value: float | None
    sample: int
    pending: int = 0
    best_case: float | None = None


_NOTHING = _Found(None, 0)


def status_for(value: float | None, target: float | None, *, higher_is_better: bool) -> str:
    """The traffic light of ``value`` against ``target`` (see the module docstring)."""
    if value is None or target is None:
        return NONE
    if higher_is_better:
        if value >= target:
            return GREEN
        return AMBER if value >= target * (1 - AMBER_MARGIN) else RED
    if value <= target:
        return GREEN
    return AMBER if value <= target * (1 + AMBER_MARGIN) else RED


# ---- public API -----------------------------------------------------------------------------


def compute_kpis(
    *,
    community: Community | None = None,
    team: CareTeam | None = None,
    service: Service | None = None,
    month: date | None = None,
) -> list[KpiValue]:
    """Every KPI for the scope and month (see the module docstring), in ``KPIS`` order."""
    scope = Scope(community, team, service)
    now = clock.now()
    window = _month_bounds(month) if month is not None else None
    period_over = window is not None and window[1] <= now
    demands = _demands(scope)
    ratings = Rating.objects.filter(_demand_q(scope, "demand__")).order_by()
    if window is not None:
        demands = demands.filter(created_at__gte=window[0], created_at__lt=window[1])
        ratings = ratings.filter(
            demand__created_at__gte=window[0], demand__created_at__lt=window[1]
        )
    found: dict[str, _Found] = {}
    for code, result in _percentile_kpis(demands, group=None).items():
        found[code] = result.get(None, _NOTHING)
    for code, result in _rate_kpis(demands, ratings, group=None, now=now).items():
        found[code] = result.get(None, _NOTHING)
    targets: dict[str, float | None] = {}
    if service is None:
        as_of = min(window[1], now) if window is not None else now
        baseline_at = _year_earlier(as_of)
        for code, condition in (("htn_control_rate", HTN_CODES), ("dm_control_rate", DM_CODES)):
            (rate, total, _measured), (before, _, measured_before) = control_rates(
                community=community, team=team, condition_codes=condition, code=code,
                moments=(as_of, baseline_at),
            )  # fmt: skip
            found[code] = _Found(rate, total)
            targets[code] = (
                round(min(100.0, before + CONTROL_GAIN), 2)
                if before is not None and measured_before
                else None
            )
    values = []
    for code, spec in KPIS.items():
        figures = found.get(code, _NOTHING)
        target = spec.target if spec.target is not None else targets.get(code)
        status = status_for(figures.value, target, higher_is_better=spec.higher_is_better)
        best_status = status_for(figures.best_case, target, higher_is_better=spec.higher_is_better)
        values.append(
            KpiValue(
                code=code,
                name=str(spec.name),
                value=figures.value,
                target=target,
                unit=spec.unit,
                status=status,
                sample=figures.sample,
                pending=figures.pending,
                best_case=figures.best_case,
                complete=period_over and not figures.pending,
                provisional=bool(figures.pending) and best_status not in (status, NONE),
            )
        )
    return values


def kpi_trend(
    code: str,
    *,
    months: int = 12,
    community: Community | None = None,
    team: CareTeam | None = None,
    service: Service | None = None,
) -> list[tuple[date, float | None]]:
    """The monthly series of one KPI for the last ``months`` months (see the module
    docstring); ValueError for an unknown code or fewer than one month."""
    if code not in KPIS:
        raise ValueError(f"unknown KPI code {code!r}")
    if months < 1:
        raise ValueError("months must be at least 1")
    scope = Scope(community, team, service)
    last = clock.today().replace(day=1)
    firsts = [_add_months(last, -i) for i in range(months - 1, -1, -1)]
    start, end = _local_midnight(firsts[0]), _local_midnight(_add_months(last, 1))
    if code in ("htn_control_rate", "dm_control_rate"):
        if service is not None:
            return [(first, None) for first in firsts]
        condition = HTN_CODES if code == "htn_control_rate" else DM_CODES
        now = clock.now()
        moments = [min(_month_bounds(first)[1], now) for first in firsts]
        rates = control_rates(
            community=community, team=team, condition_codes=condition, code=code, moments=moments
        )
        return [(first, found[0]) for first, found in zip(firsts, rates, strict=True)]
    demands = _demands(scope).filter(created_at__gte=start, created_at__lt=end)
    ratings = Rating.objects.filter(
        _demand_q(scope, "demand__"), demand__created_at__gte=start, demand__created_at__lt=end
    ).order_by()
    if code in _PERCENTILE_KPIS:
        series = _percentile_kpis(demands, group=tuple(firsts), only=code)[code]
    else:
        series = _rate_kpis(demands, ratings, group=tuple(firsts), only=code, now=clock.now())[code]
    return [(first, series.get(first, _NOTHING).value) for first in firsts]


# ---- scope and months -------------------------------------------------------------------------


def _tz() -> Any:
    return timezone.get_default_timezone()


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_tz())


def _add_months(first: date, n: int) -> date:
    years, index = divmod(first.month - 1 + n, 12)
    return date(first.year + years, index + 1, 1)


def _month_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day``'s month and of the next one, local time."""
    first = day.replace(day=1)
    return _local_midnight(first), _local_midnight(_add_months(first, 1))


def _year_earlier(moment: datetime) -> datetime:
    local = timezone.localtime(moment, _tz())
    day = clock.years_before(local.date(), 1)
    return datetime.combine(day, local.time(), tzinfo=_tz())


def _demand_q(scope: Scope, prefix: str = "") -> Q:
    """Demands of the scope (``prefix`` reaches the demand from another model)."""
    q = Q()
    if scope.community is not None:
        q &= Q(**{f"{prefix}resident__community": scope.community})
    if scope.team is not None:
        q &= Q(**{f"{prefix}resident_id__in": team_residents(scope.team)})
    if scope.service is not None:
        q &= Q(**{f"{prefix}service": scope.service})
    return q


def _demands(scope: Scope) -> QuerySet[Demand]:
    return Demand.objects.filter(_demand_q(scope)).order_by()


# ---- the demand KPIs -------------------------------------------------------------------------

_PERCENTILE_KPIS = {
    # code: (tier, fraction, seconds per unit)
    "response_time_median_h": (DemandTier.ROUTINE, 0.5, 3600.0),
    "response_time_p90_h": (DemandTier.ROUTINE, 0.9, 3600.0),
    "urgent_response_median_min": (DemandTier.URGENT, 0.5, 60.0),
}


Months = tuple[date, ...]  # the first days of consecutive months, oldest first


def _group_expression(group: Months | None, field: str) -> Any:
    """The month of ``field`` among ``group`` as its first day in ISO form, by comparisons
    with the months' first instants (plain SQL on every database: SQLite's ``TruncMonth`` is
    a Python function called for every row); None without ``group``. The rows must be
    within the months."""
    if not group:
        return None
    whens = [
        When(**{f"{field}__lt": _local_midnight(_add_months(first, 1))},
             then=Value(first.isoformat()))
        for first in group
    ]  # fmt: skip
    return Case(*whens, default=Value(None), output_field=CharField())


def _percentile_kpis(
    demands: QuerySet[Demand], *, group: Months | None, only: str | None = None
) -> dict[str, dict[Any, _Found]]:
    """``{code: {group key: found}}`` for the response-time KPIs."""
    wanted = [only] if only else list(_PERCENTILE_KPIS)
    results: dict[str, dict[Any, _Found]] = {code: {} for code in wanted}
    by_tier: dict[str, list[str]] = defaultdict(list)
    for code in wanted:
        by_tier[_PERCENTILE_KPIS[code][0]].append(code)
    for tier, tier_codes in by_tier.items():
        fractions = sorted({_PERCENTILE_KPIS[code][1] for code in tier_codes})
        found = percentiles(
            demands.filter(tier=tier, accepted_at__isnull=False),
            seconds_between("created_at", "accepted_at"),
            fractions,
            group=_group_expression(group, "created_at"),
        )
        for key, (values, count) in found.items():
            for code in tier_codes:
                _, fraction, unit = _PERCENTILE_KPIS[code]
                results[code][_key(key, group)] = _Found(round(values[fraction] / unit, 2), count)
    return results


def _key(value: Any, group: Months | None) -> Any:
    return date.fromisoformat(value) if group and value is not None else value


_RATE_KPIS = ("match_success_rate", "identification_accuracy", "satisfaction_rate")


def _rate_kpis(
    demands: QuerySet[Demand],
    ratings: QuerySet[Rating],
    *,
    group: Months | None,
    now: datetime,
    only: str | None = None,
) -> dict[str, dict[Any, _Found]]:
    """``{code: {group key: found}}`` for the rate KPIs, with their open work as of
    ``now`` (in the same query)."""
    wanted = [only] if only else list(_RATE_KPIS)
    results: dict[str, dict[Any, _Found]] = {}
    if "match_success_rate" in wanted or "identification_accuracy" in wanted:
        withdrawn = Q(status=DemandStatus.WITHDRAWN)
        matched = ~withdrawn & Q(scheduled_at__isnull=False, scheduled_at__lte=F("due_match_at"))
        still_open = Q(status__in=OPEN_STATUSES)
        rows = _grouped(
            demands,
            group=_group_expression(group, "created_at"),
            filed=Count("pk", filter=~withdrawn),
            matched=Count("pk", filter=matched),
            awaiting_match=Count(
                "pk", filter=still_open & Q(scheduled_at__isnull=True, due_match_at__gt=now)
            ),
            suggested=Count("pk", filter=Q(system_suggested=True)),
            confirmed=Count("pk", filter=Q(system_suggested=True, resident_confirmed=True)),
            unanswered=Count(
                "pk",
                filter=still_open & Q(system_suggested=True, resident_confirmed__isnull=True),
            ),
        )
        results["match_success_rate"] = _rates(rows, "matched", "filed", group, "awaiting_match")
        results["identification_accuracy"] = _rates(
            rows, "confirmed", "suggested", group, "unanswered"
        )
    if "satisfaction_rate" in wanted:
        rows = _grouped(
            ratings,
            group=_group_expression(group, "demand__created_at"),
            rated=Count("pk"),
            satisfied=Count("pk", filter=Q(overall__gte=SATISFIED_STARS)),
        )
        results["satisfaction_rate"] = _rates(rows, "satisfied", "rated", group)
    return {code: results[code] for code in wanted}


def _grouped(queryset: QuerySet[Any], *, group: Any, **aggregates: Any) -> list[dict[str, Any]]:
    if group is None:
        return [{"_group": None, **queryset.aggregate(**aggregates)}]
    return list(queryset.annotate(_group=group).values("_group").annotate(**aggregates))


def _rates(
    rows: list[dict[str, Any]],
    numerator: str,
    denominator: str,
    group: Months | None,
    pending: str | None = None,
) -> dict[Any, _Found]:
    """The rate of each row; with ``pending``, the count of demands whose outcome is still
    open and the rate if every one of them ended in the numerator."""
    found = {}
    for row in rows:
        total = row[denominator]
        if not total:
            continue
        waiting = row[pending] if pending else 0
        found[_key(row["_group"], group)] = _Found(
            round(100.0 * row[numerator] / total, 2),
            total,
            waiting,
            round(100.0 * (row[numerator] + waiting) / total, 2) if waiting else None,
        )
    return found
