"""Permission-scoped reads of analytics: KPIs, stored analysis runs and improvement findings.

Analytics are for centre directors and quality managers (and superusers). A director or
quality manager sees their own community only: naming another community, or a team of
another community, is "not found" (404), as for any record outside one's scope; any other
role is refused (403). A superuser may look at any community, or at all of them at once.

For the console dashboard:

- ``kpis_for(user, *, community=None, team=None, service=None, month=None)`` and
  ``kpi_trend_for(user, code, *, months=12, community=None, team=None, service=None)``: the
  ``kpis`` functions within the user's scope;
- ``latest_run(kind, community)``: the newest successful ``AnalyticsRun`` of a kind for a
  community (None: the run over every community), or None; ``latest_run_for(user, kind,
  community=None)`` the same within the user's scope;
- ``findings_visible_to(user)``, ``open_findings_for(user)``, ``get_finding_for(user, id)``.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.analytics import kpis
from careloop.analytics.models import (
    AnalyticsRun,
    FindingStatus,
    ImprovementFinding,
    RunKind,
    RunStatus,
)
from careloop.catalogue.models import Service
from careloop.core.errors import ForbiddenError, NotFoundError
from careloop.core.models import Community, User
from careloop.core.roles import Role
from careloop.residents.models import CareTeam

ANALYTICS_ROLES = (Role.CENTRE_DIRECTOR, Role.QUALITY_MANAGER)


def can_view_analytics(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (user.has_role(*ANALYTICS_ROLES) and user.community_id is not None)


def require_analytics(user: User) -> None:
    if not can_view_analytics(user):
        raise ForbiddenError(
            "analytics.forbidden",
            _("Only centre directors and quality managers may see the analytics."),
        )


def _not_found() -> NotFoundError:
    return NotFoundError("analytics.not_found", _("No such community or care team."))


def scope_for(
    user: User, *, community: Community | None = None, team: CareTeam | None = None
) -> tuple[Community | None, CareTeam | None]:
    """The community and team ``user`` may look at: their own community whatever they
    asked for (another one is 404), any for a superuser (None: all communities)."""
    require_analytics(user)
    if not user.is_superuser:
        if community is not None and community.pk != user.community_id:
            raise _not_found()
        community = user.community
    if team is not None and community is not None and team.community_id != community.pk:
        raise _not_found()
    return community, team


def kpis_for(
    user: User,
    *,
    community: Community | None = None,
    team: CareTeam | None = None,
    service: Service | None = None,
    month: date | None = None,
) -> list[kpis.KpiValue]:
    community, team = scope_for(user, community=community, team=team)
    return kpis.compute_kpis(community=community, team=team, service=service, month=month)


def kpi_trend_for(
    user: User,
    code: str,
    *,
    months: int = 12,
    community: Community | None = None,
    team: CareTeam | None = None,
    service: Service | None = None,
) -> list[tuple[date, float | None]]:
    community, team = scope_for(user, community=community, team=team)
    return kpis.kpi_trend(code, months=months, community=community, team=team, service=service)


# ---- analysis runs --------------------------------------------------------------------------


def latest_run(kind: str | RunKind, community: Community | None) -> AnalyticsRun | None:
    """The newest successful run of ``kind`` for ``community`` (None: the run over every
    community), or None when none has run yet."""
    return (
        AnalyticsRun.objects.filter(kind=kind, community=community, status=RunStatus.SUCCEEDED)
        .order_by("-created_at", "-id")
        .first()
    )


def latest_run_for(
    user: User, kind: str | RunKind, community: Community | None = None
) -> AnalyticsRun | None:
    community, _team = scope_for(user, community=community)
    return latest_run(kind, community)


def runs_visible_to(user: User) -> QuerySet[AnalyticsRun]:
    if not can_view_analytics(user):
        return AnalyticsRun.objects.none()
    runs = AnalyticsRun.objects.select_related("community", "created_by")
    if user.is_superuser:
        return runs
    assert user.community_id is not None  # can_view_analytics asks for one
    return runs.filter(community_id=user.community_id)


# ---- improvement findings ---------------------------------------------------------------------


def findings_visible_to(user: User) -> QuerySet[ImprovementFinding]:
    """Findings of the user's community (every community for a superuser), newest first."""
    if not can_view_analytics(user):
        return ImprovementFinding.objects.none()
    findings = ImprovementFinding.objects.select_related("community", "service", "team")
    if user.is_superuser:
        return findings
    assert user.community_id is not None  # can_view_analytics asks for one
    return findings.filter(community_id=user.community_id)


def open_findings_for(user: User) -> QuerySet[ImprovementFinding]:
    """Findings nobody has picked up for an improvement cycle yet."""
    return findings_visible_to(user).exclude(status=FindingStatus.PICKED_UP)


def get_finding_for(user: User, public_id: str) -> ImprovementFinding:
    finding = findings_visible_to(user).filter(public_id=public_id).first()
    if finding is None:
        raise NotFoundError("analytics.finding_not_found", _("No such finding."))
    return finding
