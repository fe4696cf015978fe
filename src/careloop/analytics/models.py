"""Analytics: stored population-analysis runs and the improvement findings that low rating
dimensions raise.

``AnalyticsRun`` keeps one analysis (describe, segments, rules, forecast) with the parameters
it ran with and a snapshot of the data it read (row counts, highest ids and times), so a
result can always be traced to its inputs. ``ImprovementFinding`` records a rating dimension
whose satisfaction fell below its threshold for a service or care team over a window, with
the ratings behind it, ready for a PDCA cycle (quality) to pick up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from careloop.catalogue.models import Service
from careloop.core.models import Community, new_public_id
from careloop.residents.models import CareTeam


class RunKind(models.TextChoices):
    DESCRIBE = "describe", _("Descriptive statistics")
    SEGMENTS = "segments", _("Population segments")
    RULES = "rules", _("Association rules")
    FORECAST = "forecast", _("Demand forecast")


class RunStatus(models.TextChoices):
    SUCCEEDED = "succeeded", pgettext_lazy("analytics run", "Succeeded")
    FAILED = "failed", pgettext_lazy("analytics run", "Failed")


class AnalyticsRun(models.Model):
    """One analysis of one community (or of every community when ``community`` is empty)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(_("analysis"), max_length=12, choices=RunKind.choices)
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("community"),
    )  # fmt: skip
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    snapshot = models.JSONField(_("data snapshot"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("started by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "community", "created_at"], name="analytics_run_latest")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class ScopeKind(models.TextChoices):
    SERVICE = "service", _("Service")
    TEAM = "team", _("Care team")


class Dimension(models.TextChoices):
    """The rating dimensions (``demands.models.RATING_DIMENSIONS``)."""

    RESPONSE_SPEED = "response_speed", _("Response speed")
    PROFESSIONALISM = "professionalism", _("Professionalism")
    ATTITUDE = "attitude", _("Attitude")
    RESULT = "result", _("Result")
    CONVENIENCE = "convenience", _("Convenience")


class FindingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("improvement finding", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("improvement finding", "Acknowledged")
    PICKED_UP = "picked_up", pgettext_lazy("improvement finding", "Picked up for improvement")


class ImprovementFinding(models.Model):
    """A rating dimension of a service or care team below its threshold over a window
    (002 §4.1.4). Service findings are per community (the residents' community); team
    findings belong to the team's community. One row per scope, dimension and window."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    scope_kind = models.CharField(_("scope"), max_length=10, choices=ScopeKind.choices)
    # The service code or the team's public id: stable even if the row it names goes away.
    scope_code = models.CharField(_("scope code"), max_length=60)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("service"),
    )  # fmt: skip
    team = models.ForeignKey(
        CareTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("care team"),
    )  # fmt: skip
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    rate = models.FloatField(_("satisfaction (%)"))
    threshold = models.FloatField(_("threshold (%)"))
    sample_size = models.PositiveIntegerField(_("ratings"))
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("improvement finding")
        verbose_name_plural = _("improvement findings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="finding_community_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "scope_kind", "scope_code", "dimension", "window_end"],
                name="finding_once_per_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope_kind} {self.scope_code} {self.dimension} {self.rate:.1f}%"
