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
  the demand KPIs; one per month for the control rates (each as of its month's end).
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

Percentiles run as one ``percentile_cont`` aggregate on PostgreSQL; elsewhere (SQLite) a
window query (``ROW_NUMBER``/``COUNT`` over the partition) returns only the one or two rows
around each percentile's position, which are then interpolated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Abs, RowNumber, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import Service
from careloop.core import clock
from careloop.core.models import Community
from careloop.demands.models import Demand, DemandStatus, DemandTier, Rating
from careloop.observations import codes
from careloop.observations.models import Observation
from careloop.residents.models import (
    CareContract,
    CareTeam,
    ConditionStatus,
    ContractStatus,
    Resident,
    ResidentCondition,
)

GREEN, AMBER, RED, NONE = "green", "amber", "red", "none"
AMBER_MARGIN = 0.10  # "amber": within 10 % of the target (relative to the target)
CONTROL_GAIN = 5.0  # control-rate target: last year's rate + 5 points
SATISFIED_STARS = 4
HTN_CODES = ("I10", "I11", "I12", "I13", "I14", "I15")
DM_CODES = ("E10", "E11", "E12", "E13", "E14")
BP_SYSTOLIC_BELOW = Decimal(140)
BP_DIASTOLIC_BELOW = Decimal(90)
FASTING_GLUCOSE_BELOW = Decimal("7.0")
FASTING_GLUCOSE_CODES = (codes.GLUCOSE_FASTING, codes.GLUCOSE_FASTING_LAB)


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
    residents the value is computed over."""

    code: str
    name: str
    value: float | None
    target: float | None
    unit: str
    status: str
    sample: int = 0


@dataclass(frozen=True)
class Scope:
    community: Community | None = None
    team: CareTeam | None = None
    service: Service | None = None


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
    window = _month_bounds(month) if month is not None else None
    demands = _demands(scope)
    ratings = Rating.objects.filter(_demand_q(scope, "demand__")).order_by()
    if window is not None:
        demands = demands.filter(created_at__gte=window[0], created_at__lt=window[1])
        ratings = ratings.filter(
            demand__created_at__gte=window[0], demand__created_at__lt=window[1]
        )
    found: dict[str, tuple[float | None, int]] = {}
    for code, result in _percentile_kpis(demands, group=None).items():
        found[code] = result.get(None, (None, 0))
    for code, result in _rate_kpis(demands, ratings, group=None).items():
        found[code] = result.get(None, (None, 0))
    targets: dict[str, float | None] = {}
    if service is None:
        as_of = min(window[1], clock.now()) if window is not None else clock.now()
        baseline_at = _year_earlier(as_of)
        for code, condition in (("htn_control_rate", HTN_CODES), ("dm_control_rate", DM_CODES)):
            rate, total, _measured = _control_rate(scope, condition, code, as_of)
            found[code] = (rate, total)
            before, _, measured_before = _control_rate(scope, condition, code, baseline_at)
            targets[code] = (
                round(min(100.0, before + CONTROL_GAIN), 2)
                if before is not None and measured_before
                else None
            )
    values = []
    for code, spec in KPIS.items():
        value, sample = found.get(code, (None, 0))
        target = spec.target if spec.target is not None else targets.get(code)
        values.append(
            KpiValue(
                code=code,
                name=str(spec.name),
                value=value,
                target=target,
                unit=spec.unit,
                status=status_for(value, target, higher_is_better=spec.higher_is_better),
                sample=sample,
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
        return [
            (first, _control_rate(scope, condition, code, min(_month_bounds(first)[1], now))[0])
            for first in firsts
        ]
    demands = _demands(scope).filter(created_at__gte=start, created_at__lt=end)
    ratings = Rating.objects.filter(
        _demand_q(scope, "demand__"), demand__created_at__gte=start, demand__created_at__lt=end
    ).order_by()
    if code in _PERCENTILE_KPIS:
        series = _percentile_kpis(demands, group="month", only=code)[code]
    else:
        series = _rate_kpis(demands, ratings, group="month", only=code)[code]
    return [(first, series.get(first, (None, 0))[0]) for first in firsts]


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


def _team_residents(team: CareTeam) -> QuerySet[CareContract]:
    return CareContract.objects.filter(status=ContractStatus.ACTIVE, team=team).values(
        "resident_id"
    )


def _demand_q(scope: Scope, prefix: str = "") -> Q:
    """Demands of the scope (``prefix`` reaches the demand from another model)."""
    q = Q()
    if scope.community is not None:
        q &= Q(**{f"{prefix}resident__community": scope.community})
    if scope.team is not None:
        q &= Q(**{f"{prefix}resident_id__in": _team_residents(scope.team)})
    if scope.service is not None:
        q &= Q(**{f"{prefix}service": scope.service})
    return q


def _demands(scope: Scope) -> QuerySet[Demand]:
    return Demand.objects.filter(_demand_q(scope)).order_by()


def _month_key(value: Any) -> date | None:
    """A TruncMonth result (an aware datetime, or a date) as the month's first day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localtime(value, _tz()) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


# ---- percentiles -----------------------------------------------------------------------------


class _Seconds(Func):
    """A duration expression in seconds, as a float (SQLite keeps durations as microseconds,
    PostgreSQL as intervals)."""

    output_field = FloatField()
    template = "((%(expressions)s) / 1000000.0)"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)",
            **extra,
        )


def _seconds_between(start: str, end: str) -> _Seconds:
    return _Seconds(ExpressionWrapper(F(end) - F(start), output_field=DurationField()))


class _PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(fraction)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression, fraction=repr(float(fraction)))


def percentiles(
    queryset: QuerySet[Any], value: Any, fractions: Iterable[float], *, group: Any = None
) -> dict[Any, tuple[dict[float, float], int]]:
    """``{group key: ({fraction: percentile}, count)}`` of the expression ``value`` over
    ``queryset``, by the expression ``group`` (one key, None, without it). Rows whose value
    is NULL must be filtered out by the caller."""
    fractions = tuple(fractions)
    qs = queryset.order_by().annotate(_value=value)
    if group is not None:
        qs = qs.annotate(_group=group)
    if connection.vendor == "postgresql":
        aggregates = {f"_p{i}": _PercentileCont(F("_value"), f) for i, f in enumerate(fractions)}
        aggregates["_n"] = Count("pk")
        if group is None:
            row = qs.aggregate(**aggregates)
            rows = [{"_group": None, **row}] if row["_n"] else []
        else:
            rows = list(qs.values("_group").annotate(**aggregates))
        return {
            row["_group"]: ({f: row[f"_p{i}"] for i, f in enumerate(fractions)}, row["_n"])
            for row in rows
        }
    return _window_percentiles(qs, fractions, grouped=group is not None)


def _window_percentiles(
    qs: QuerySet[Any], fractions: tuple[float, ...], *, grouped: bool
) -> dict[Any, tuple[dict[float, float], int]]:
    """The portable path: rank the rows in each group in SQL and fetch, per fraction, only
    the rows whose 0-based rank is within 1 of the position ``fraction × (n − 1)``; the
    percentile is their sum weighted by ``1 − distance`` (linear interpolation)."""
    partition = [F("_group")] if grouped else None
    ranked = qs.annotate(
        _rank=Window(RowNumber(), partition_by=partition, order_by=[F("_value").asc(),
                                                                      F("pk").asc()]),
        _n=Window(Count("pk"), partition_by=partition),
    )  # fmt: skip
    found: dict[Any, tuple[dict[float, float], int]] = {}
    for fraction in fractions:
        near = ranked.annotate(
            _distance=Abs(F("_rank") - 1 - Value(float(fraction)) * (F("_n") - 1))
        ).filter(_distance__lt=1)
        fields = ("_group", "_distance", "_value", "_n") if grouped else ("_distance", "_value",
                                                                          "_n")  # fmt: skip
        sums: dict[Any, float] = defaultdict(float)
        counts: dict[Any, int] = {}
        for row in near.values_list(*fields):  # one or two rows per group
            key, (distance, value, n) = (row[0], row[1:]) if grouped else (None, row)
            sums[key] += (1 - float(distance)) * float(value)
            counts[key] = int(n)
        for key, total in sums.items():
            found.setdefault(key, ({}, counts[key]))[0][fraction] = total
    return found


# ---- the demand KPIs -------------------------------------------------------------------------

_PERCENTILE_KPIS = {
    # code: (tier, fraction, seconds per unit)
    "response_time_median_h": (DemandTier.ROUTINE, 0.5, 3600.0),
    "response_time_p90_h": (DemandTier.ROUTINE, 0.9, 3600.0),
    "urgent_response_median_min": (DemandTier.URGENT, 0.5, 60.0),
}


def _group_expression(group: str | None, field: str) -> Any:
    return TruncMonth(field, tzinfo=_tz()) if group == "month" else None


def _percentile_kpis(
    demands: QuerySet[Demand], *, group: str | None, only: str | None = None
) -> dict[str, dict[Any, tuple[float | None, int]]]:
    """``{code: {group key: (value, sample)}}`` for the response-time KPIs."""
    wanted = [only] if only else list(_PERCENTILE_KPIS)
    results: dict[str, dict[Any, tuple[float | None, int]]] = {code: {} for code in wanted}
    by_tier: dict[str, list[str]] = defaultdict(list)
    for code in wanted:
        by_tier[_PERCENTILE_KPIS[code][0]].append(code)
    for tier, tier_codes in by_tier.items():
        fractions = sorted({_PERCENTILE_KPIS[code][1] for code in tier_codes})
        found = percentiles(
            demands.filter(tier=tier, accepted_at__isnull=False),
            _seconds_between("created_at", "accepted_at"),
            fractions,
            group=_group_expression(group, "created_at"),
        )
        for key, (values, count) in found.items():
            for code in tier_codes:
                _, fraction, unit = _PERCENTILE_KPIS[code]
                results[code][_key(key, group)] = (round(values[fraction] / unit, 2), count)
    return results


def _key(value: Any, group: str | None) -> Any:
    return _month_key(value) if group == "month" else value


_RATE_KPIS = ("match_success_rate", "identification_accuracy", "satisfaction_rate")


def _rate_kpis(
    demands: QuerySet[Demand],
    ratings: QuerySet[Rating],
    *,
    group: str | None,
    only: str | None = None,
) -> dict[str, dict[Any, tuple[float | None, int]]]:
    """``{code: {group key: (value, sample)}}`` for the rate KPIs."""
    wanted = [only] if only else list(_RATE_KPIS)
    results: dict[str, dict[Any, tuple[float | None, int]]] = {}
    if "match_success_rate" in wanted or "identification_accuracy" in wanted:
        withdrawn = Q(status=DemandStatus.WITHDRAWN)
        matched = ~withdrawn & Q(scheduled_at__isnull=False, scheduled_at__lte=F("due_match_at"))
        rows = _grouped(
            demands,
            group=_group_expression(group, "created_at"),
            filed=Count("pk", filter=~withdrawn),
            matched=Count("pk", filter=matched),
            suggested=Count("pk", filter=Q(system_suggested=True)),
            confirmed=Count("pk", filter=Q(system_suggested=True, resident_confirmed=True)),
        )
        results["match_success_rate"] = _rates(rows, "matched", "filed", group)
        results["identification_accuracy"] = _rates(rows, "confirmed", "suggested", group)
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
    rows: list[dict[str, Any]], numerator: str, denominator: str, group: str | None
) -> dict[Any, tuple[float | None, int]]:
    return {
        _key(row["_group"], group): (
            round(100.0 * row[numerator] / row[denominator], 2),
            row[denominator],
        )
        for row in rows
        if row[denominator]
    }


# ---- control rates ---------------------------------------------------------------------------


def _code_q(prefixes: tuple[str, ...]) -> Q:
    """Condition types whose ICD-10 code is one of ``prefixes`` or a subcode (I10, I11.9)."""
    q = Q()
    for prefix in prefixes:
        q |= Q(condition__code=prefix) | Q(condition__code__startswith=f"{prefix}.")
    return q


def _control_rate(
    scope: Scope, condition_codes: tuple[str, ...], code: str, as_of: datetime
) -> tuple[float | None, int, int]:
    """(rate %, residents with the condition, of whom measured) as of ``as_of``: one
    query, the latest reading found by a correlated subquery per resident."""
    local_day = timezone.localtime(as_of, _tz()).date()
    active = ResidentCondition.objects.filter(
        _code_q(condition_codes),
        Q(onset_date__lte=local_day) | Q(onset_date__isnull=True, created_at__lt=as_of),
        Q(status=ConditionStatus.ACTIVE)
        | Q(status=ConditionStatus.RESOLVED, resolved_on__gt=local_day),
        resident=OuterRef("pk"),
    )
    if code == "htn_control_rate":
        readings = Observation.objects.filter(code=codes.BP)
        controlled = Q(value__lt=BP_SYSTOLIC_BELOW, value2__lt=BP_DIASTOLIC_BELOW)
    else:
        readings = Observation.objects.filter(code__in=FASTING_GLUCOSE_CODES)
        controlled = Q(value__lt=FASTING_GLUCOSE_BELOW)
    latest = (
        readings.filter(resident=OuterRef("pk"), effective_at__lt=as_of)
        .order_by("-effective_at", "-id")
        .annotate(_ok=Case(When(controlled, then=Value(1)), default=Value(0)))
        .values("_ok")[:1]
    )
    residents = Resident.objects.filter(Exists(active))
    if scope.community is not None:
        residents = residents.filter(community=scope.community)
    if scope.team is not None:
        residents = residents.filter(pk__in=_team_residents(scope.team))
    row = (
        residents.order_by()
        .annotate(_ok=Subquery(latest))
        .aggregate(
            total=Count("pk"),
            measured=Count("pk", filter=Q(_ok__isnull=False)),
            controlled=Count("pk", filter=Q(_ok=1)),
        )
    )
    if not row["total"]:
        return None, 0, 0
    return round(100.0 * row["controlled"] / row["total"], 2), row["total"], row["measured"]
