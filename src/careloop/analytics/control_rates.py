"""Hypertension and diabetes control rates (DOMAIN.md; the definitions are in ``kpis``):
of the residents with an active condition at a time T, the share whose latest reading
before T is controlled — for several times T in one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from careloop.core.models import Community
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

HTN_CODES = ("I10", "I11", "I12", "I13", "I14", "I15")
DM_CODES = ("E10", "E11", "E12", "E13", "E14")
BP_SYSTOLIC_BELOW = Decimal(140)
BP_DIASTOLIC_BELOW = Decimal(90)
FASTING_GLUCOSE_BELOW = Decimal("7.0")
FASTING_GLUCOSE_CODES = (codes.GLUCOSE_FASTING, codes.GLUCOSE_FASTING_LAB)


class ResidentIdRow(TypedDict):
    resident_id: int


def team_residents(team: CareTeam) -> QuerySet[CareContract, ResidentIdRow]:
    """The residents whose contract in force is with ``team`` (``resident_id`` values)."""
    return CareContract.objects.filter(status=ContractStatus.ACTIVE, team=team).values(
        "resident_id"
    )


def code_q(prefixes: tuple[str, ...]) -> Q:
    """Condition types whose ICD-10 code is one of ``prefixes`` or a subcode (I10, I11.9)."""
    q = Q()
    for prefix in prefixes:
        q |= Q(condition__code=prefix) | Q(condition__code__startswith=f"{prefix}.")
    return q


def active_q(condition_codes: tuple[str, ...], first: datetime, last: datetime) -> Q:
    """Conditions of ``condition_codes`` active at some time between ``first`` and ``last``
    (both included; the same instant for "at that time")."""
    first_day = timezone.localtime(first, timezone.get_default_timezone()).date()
    last_day = timezone.localtime(last, timezone.get_default_timezone()).date()
    return (
        code_q(condition_codes)
        & (Q(onset_date__lte=last_day) | Q(onset_date__isnull=True, created_at__lt=last))
        & (
            Q(status=ConditionStatus.ACTIVE)
            | Q(status=ConditionStatus.RESOLVED, resolved_on__gt=first_day)
        )
    )


def control_rates(
    *,
    community: Community | None,
    team: CareTeam | None,
    condition_codes: tuple[str, ...],
    code: str,
    moments: Sequence[datetime],
) -> list[tuple[float | None, int, int]]:
    """(rate %, residents with the condition, of whom measured) as of each of ``moments``,
    in one query: per resident of the scope who had the condition at one of them, one
    correlated ``EXISTS`` (had it then) and one correlated subquery (the latest reading
    before then, controlled or not) per moment, counted with conditional aggregates."""
    if code == "htn_control_rate":
        readings = Observation.objects.filter(code=codes.BP)
        controlled = Q(value__lt=BP_SYSTOLIC_BELOW, value2__lt=BP_DIASTOLIC_BELOW)
    else:
        readings = Observation.objects.filter(code__in=FASTING_GLUCOSE_CODES)
        controlled = Q(value__lt=FASTING_GLUCOSE_BELOW)
    conditions = ResidentCondition.objects.filter(resident=OuterRef("pk"))
    residents = Resident.objects.filter(
        Exists(conditions.filter(active_q(condition_codes, min(moments), max(moments))))
    )
    if community is not None:
        residents = residents.filter(community=community)
    if team is not None:
        residents = residents.filter(pk__in=team_residents(team))
    annotations: dict[str, Any] = {}
    aggregates: dict[str, Any] = {}
    for i, moment in enumerate(moments):
        annotations[f"_had{i}"] = Exists(
            conditions.filter(active_q(condition_codes, moment, moment))
        )
        annotations[f"_ok{i}"] = Subquery(
            readings.filter(resident=OuterRef("pk"), effective_at__lt=moment)
            .order_by("-effective_at", "-id")
            .annotate(_ok=Case(When(controlled, then=Value(1)), default=Value(0)))
            .values("_ok")[:1]
        )
        had = Q(**{f"_had{i}": True})
        aggregates[f"total{i}"] = Count("pk", filter=had)
        aggregates[f"measured{i}"] = Count("pk", filter=had & Q(**{f"_ok{i}__isnull": False}))
        aggregates[f"controlled{i}"] = Count("pk", filter=had & Q(**{f"_ok{i}": 1}))
    # DISTINCT changes no row (one per resident) but keeps the database from inlining the
    # per-resident subqueries into every aggregate that reads them (SQLite's flattening,
    # PostgreSQL's pull-up): each then runs once per resident, not once per reference.
    row = residents.order_by().annotate(**annotations).distinct().aggregate(**aggregates)
    found: list[tuple[float | None, int, int]] = []
    for i in range(len(moments)):
        total = row[f"total{i}"]
        if not total:
            found.append((None, 0, 0))
        else:
            rate = round(100.0 * row[f"controlled{i}"] / total, 2)
            found.append((rate, total, row[f"measured{i}"]))
    return found
