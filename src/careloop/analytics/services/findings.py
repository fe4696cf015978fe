"""Improvement findings.

``find_improvements(*, window_days=30, now=None) -> list[ImprovementFinding]`` looks at the
ratings of the window — the ``window_days`` whole days before today, Asia/Shanghai — and, for
each service (per community) and each care team, the share of ratings with 4 or 5 stars on
each dimension. A dimension below its threshold (``THRESHOLDS``: response speed 60 %, as in
seed 002 §4.1.4's home-nursing example; the others 80 %) on at least ``MIN_SAMPLE`` ratings
records a finding, with the ratings as evidence, and tells the community's centre directors
(in-app message). It returns the findings it recorded. It is idempotent: a finding is
recorded once per scope, dimension and window (a unique constraint), and not again while the
window of an earlier finding for the same scope and dimension still overlaps — so the daily
job raises a persisting problem once per ``window_days``, not every day.

``set_finding_status(*, actor, finding, status)`` moves a finding forward: open →
acknowledged → picked up (by a PDCA cycle); repeating the current status changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.analytics.models import (
    Dimension,
    FindingStatus,
    ImprovementFinding,
    ScopeKind,
)
from careloop.analytics.selectors import ANALYTICS_ROLES
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.demands.models import Rating
from careloop.notifications.services import language_of, notify
from careloop.residents.models import CareContract, CareTeam, ContractStatus

# ---- improvement findings ---------------------------------------------------------------------

# Share of ratings with 4 or 5 stars below which a dimension needs improvement (%).
THRESHOLDS: dict[str, float] = {
    Dimension.RESPONSE_SPEED: 60.0,  # seed 002 §4.1.4: response-speed satisfaction < 60 %
    Dimension.PROFESSIONALISM: 80.0,
    Dimension.ATTITUDE: 80.0,
    Dimension.RESULT: 80.0,
    Dimension.CONVENIENCE: 80.0,
}
MIN_SAMPLE = 5  # ratings on the dimension in the window, per scope
SATISFIED_STARS = 4
EVIDENCE_LIMIT = 500


def _window(window_days: int, now: datetime | None) -> tuple[datetime, datetime]:
    """The ``window_days`` whole local days before the day of ``now``."""
    if window_days < 1:
        raise DomainError("analytics.invalid_window", gettext_lazy("The window is at least a day."))
    moment = now or clock.now()
    today = timezone.localtime(moment).date()
    end = datetime.combine(today, time.min, tzinfo=timezone.get_default_timezone())
    return end - timedelta(days=window_days), end


def _dimension_counts() -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for dimension in THRESHOLDS:
        counts[f"{dimension}__n"] = Count(dimension)
        counts[f"{dimension}__ok"] = Count("pk", filter=Q(**{f"{dimension}__gte": SATISFIED_STARS}))
    return counts


@dataclass(frozen=True)
class _Low:
    community_id: int
    kind: str
    code: str
    service_id: int | None
    team_id: int | None
    dimension: str
    satisfied: int
    total: int

    @property
    def rate(self) -> float:
        return round(100.0 * self.satisfied / self.total, 2)


def _below_threshold(rows: Iterable[dict[str, Any]], **scope: Any) -> list[_Low]:
    """Scope-and-dimension pairs below threshold with enough ratings."""
    found = []
    for row in rows:  # one row per scope (service in a community, or team)
        for dimension, threshold in THRESHOLDS.items():
            total, satisfied = row[f"{dimension}__n"], row[f"{dimension}__ok"]
            if total >= MIN_SAMPLE and 100.0 * satisfied / total < threshold:
                where = {key: getter(row) for key, getter in scope.items()}
                found.append(_Low(dimension=dimension, satisfied=satisfied, total=total, **where))
    return found


def find_improvements(
    *, window_days: int = 30, now: datetime | None = None
) -> list[ImprovementFinding]:
    """Record the findings of the window and notify the directors (module docstring)."""
    start, end = _window(window_days, now)
    ratings = Rating.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
    counts = _dimension_counts()
    service_rows = (
        ratings.filter(demand__service__isnull=False)
        .values("demand__resident__community_id", "demand__service_id", "demand__service__code")
        .annotate(**counts)
    )
    team_of = CareContract.objects.filter(
        resident_id=OuterRef("demand__resident_id"), status=ContractStatus.ACTIVE
    ).values("team_id")[:1]
    team_rows = (
        ratings.annotate(team_id=Subquery(team_of))
        .filter(team_id__isnull=False)
        .values("team_id")
        .annotate(**counts)
    )
    lows = _below_threshold(
        service_rows,
        community_id=lambda r: r["demand__resident__community_id"],
        kind=lambda r: ScopeKind.SERVICE,
        code=lambda r: r["demand__service__code"],
        service_id=lambda r: r["demand__service_id"],
        team_id=lambda r: None,
    )
    team_list = list(team_rows)
    teams = CareTeam.objects.in_bulk([row["team_id"] for row in team_list])
    lows += _below_threshold(
        team_list,
        community_id=lambda r: teams[r["team_id"]].community_id,
        kind=lambda r: ScopeKind.TEAM,
        code=lambda r: teams[r["team_id"]].public_id,
        service_id=lambda r: None,
        team_id=lambda r: r["team_id"],
    )
    recorded = []
    for low in lows:
        finding = _record_finding(low, ratings, start, end)
        if finding is not None:
            recorded.append(finding)
    return recorded


def _record_finding(
    low: _Low, ratings: Any, start: datetime, end: datetime
) -> ImprovementFinding | None:
    same = ImprovementFinding.objects.filter(
        community_id=low.community_id, scope_kind=low.kind, scope_code=low.code,
        dimension=low.dimension,
    )  # fmt: skip
    if same.filter(window_end__gt=start).exists():
        return None  # recorded already for this window, or an overlapping earlier one
    in_scope = ratings.filter(**{f"{low.dimension}__isnull": False})
    if low.kind == ScopeKind.SERVICE:
        in_scope = in_scope.filter(
            demand__service_id=low.service_id, demand__resident__community_id=low.community_id
        )
    else:
        in_scope = in_scope.filter(
            demand__resident__contracts__status=ContractStatus.ACTIVE,
            demand__resident__contracts__team_id=low.team_id,
        )
    rows = list(
        in_scope.order_by("created_at", "id").values_list("id", "demand__public_id", low.dimension)[
            :EVIDENCE_LIMIT
        ]
    )
    evidence = {
        "total": low.total,
        "satisfied": low.satisfied,
        "below_4": low.total - low.satisfied,
        "ratings": [{"rating": pk, "demand": demand, "stars": stars} for pk, demand, stars in rows],
        "truncated": low.total > len(rows),
    }
    try:
        with transaction.atomic():
            finding = ImprovementFinding.objects.create(
                community_id=low.community_id, scope_kind=low.kind, scope_code=low.code,
                service_id=low.service_id, team_id=low.team_id, dimension=low.dimension,
                rate=low.rate, threshold=THRESHOLDS[low.dimension], sample_size=low.total,
                window_start=start, window_end=end, evidence=evidence, created_at=clock.now(),
            )  # fmt: skip
            audit.record(
                actor=None, action="careloop.improvement_finding.recorded", obj=finding,
                detail={"scope": f"{low.kind}:{low.code}", "dimension": low.dimension,
                        "rate": low.rate, "threshold": THRESHOLDS[low.dimension],
                        "ratings": low.total},
            )  # fmt: skip
            _notify_directors(finding)
    except IntegrityError:
        return None  # a concurrent run recorded it
    return finding


def _scope_name(finding: ImprovementFinding) -> str:
    if finding.service is not None:
        return finding.service.name
    if finding.team is not None:
        return finding.team.name
    return finding.scope_code


def _notify_directors(finding: ImprovementFinding) -> None:
    directors = User.objects.filter(
        community_id=finding.community_id, groups__name=Role.CENTRE_DIRECTOR, is_active=True
    ).order_by("id")
    last_day = finding.window_end - timedelta(days=1)
    for director in directors:
        with translation.override(language_of(director)):
            values = {
                "scope": _scope_name(finding),
                "dimension": str(Dimension(finding.dimension).label),
                "rate": f"{finding.rate:g}%",
                "threshold": f"{finding.threshold:g}%",
                "count": finding.sample_size,
                "start": formats.date_format(timezone.localtime(finding.window_start).date()),
                "end": formats.date_format(timezone.localtime(last_day).date()),
            }
            subject = _("Low satisfaction: %(dimension)s of %(scope)s") % values
            body = (
                _(
                    "From %(start)s to %(end)s, %(rate)s of the %(count)s ratings of %(scope)s "
                    "gave %(dimension)s 4 or 5 stars, below the threshold of %(threshold)s. The "
                    "finding is recorded for an improvement (PDCA) cycle."
                )
                % values
            )
        notify(
            actor=None,
            kind="text",
            user=director,
            context={"subject": subject, "body": body},
            dedupe_key=f"analytics.finding:{finding.public_id}",
        )


# ---- finding status ---------------------------------------------------------------------------

_STATUS_ORDER = (FindingStatus.OPEN, FindingStatus.ACKNOWLEDGED, FindingStatus.PICKED_UP)


def set_finding_status(
    *, actor: User | None, finding: ImprovementFinding, status: str
) -> ImprovementFinding:
    """Acknowledge a finding, or mark it picked up by an improvement cycle (module
    docstring). ``actor`` None is the system (the quality app's PDCA service)."""
    if status not in FindingStatus.values:
        raise DomainError(
            "analytics.invalid_status", gettext_lazy("Choose a status from the list."),
            fields={"status": [gettext_lazy("Choose a status from the list.")]},
        )  # fmt: skip
    if (
        actor is not None
        and not actor.is_superuser
        and not (actor.has_role(*ANALYTICS_ROLES) and actor.community_id == finding.community_id)
    ):
        raise ForbiddenError(
            "analytics.forbidden", gettext_lazy("You may not change this finding.")
        )
    with transaction.atomic():
        locked = ImprovementFinding.objects.select_for_update().get(pk=finding.pk)
        if locked.status == status:
            return locked
        if _STATUS_ORDER.index(FindingStatus(status)) < _STATUS_ORDER.index(
            FindingStatus(locked.status)
        ):
            raise ConflictError(
                "analytics.finding_status",
                gettext_lazy("This finding has already moved past that status."),
            )
        locked.status = status
        locked.status_changed_at = clock.now()
        locked.status_changed_by = actor
        locked.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        audit.record(
            actor=actor, action=f"careloop.improvement_finding.{status}", obj=locked,
            detail={"status": status},
        )  # fmt: skip
    return locked
