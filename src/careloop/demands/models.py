"""Demands: one health-service need of one resident, and its append-only history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import Booking, Service
from careloop.core.models import new_public_id
from careloop.demands import classify
from careloop.residents.models import Resident


class Channel(models.TextChoices):
    RESIDENT_WEB = "resident_web", _("Resident self-service")
    STAFF_PHONE = "staff_phone", _("Phone call to staff")
    HOME_VISIT = "home_visit", _("Home visit")
    WALK_IN = "walk_in", _("Walk-in")
    CLINICIAN_PUSH = "clinician_push", _("Suggested by a clinician")
    DEVICE_ALERT = "device_alert", _("Device alert")
    PACKAGE_DUE = "package_due", _("Package service due")
    LIFE_EVENT = "life_event", _("Life event")
    PERIODIC_REVIEW = "periodic_review", _("Periodic review questionnaire")


class DemandTier(models.TextChoices):
    ROUTINE = classify.ROUTINE, _("Routine")
    URGENT = classify.URGENT, _("Urgent")
    CRITICAL = classify.CRITICAL, _("Critical")


class Quadrant(models.TextChoices):
    Q1 = classify.Q1, _("Urgent and important")
    Q2 = classify.Q2, _("Important, not urgent")
    Q3 = classify.Q3, _("Urgent, not important")
    Q4 = classify.Q4, _("Neither urgent nor important")


class DemandStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected")
    ESCALATED = "escalated", _("Escalated")
    FAILED = "failed", _("Failed")


# Status → FHIR R4 Task.status, one to one (each demand status has its own Task status):
# a scheduled demand has a booked place, so its Task is "ready" to be performed; an escalated
# demand was handed up to the team lead or director, who has "received" it and is deciding
# who serves it. ``businessStatus`` carries the CareLoop status code itself.
FHIR_TASK_STATUS = {
    DemandStatus.SUBMITTED: "requested",
    DemandStatus.ACCEPTED: "accepted",
    DemandStatus.SCHEDULED: "ready",
    DemandStatus.IN_PROGRESS: "in-progress",
    DemandStatus.COMPLETED: "completed",
    DemandStatus.WITHDRAWN: "cancelled",
    DemandStatus.REJECTED: "rejected",
    DemandStatus.ESCALATED: "received",
    DemandStatus.FAILED: "failed",
}
FHIR_BUSINESS_STATUS = {status: status.value for status in DemandStatus}
FHIR_PRIORITY = classify.FHIR_PRIORITY

OPEN_STATUSES = (
    DemandStatus.SUBMITTED,
    DemandStatus.ESCALATED,
    DemandStatus.ACCEPTED,
    DemandStatus.SCHEDULED,
    DemandStatus.IN_PROGRESS,
)
# Not yet accepted by anyone: the respond deadline applies.
WAITING_STATUSES = (DemandStatus.SUBMITTED, DemandStatus.ESCALATED)


class Demand(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="demands")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="demands",
        verbose_name=_("service"),
    )  # fmt: skip
    description = models.CharField(_("description"), max_length=500, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("filed by"),
    )  # fmt: skip
    source_ref = models.CharField(_("source"), max_length=80, blank=True)
    system_suggested = models.BooleanField(_("suggested by the system"), default=False)
    resident_confirmed = models.BooleanField(_("confirmed by the resident"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    important = models.BooleanField(_("important"), default=True)
    quadrant = models.CharField(_("quadrant"), max_length=2, choices=Quadrant.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=DemandTier.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=DemandStatus.choices, default=DemandStatus.SUBMITTED
    )
    modes = models.JSONField(_("delivery modes"), default=list, blank=True)
    windows = models.JSONField(_("time windows"), default=list, blank=True)
    provider_sex = models.CharField(_("provider sex"), max_length=1, blank=True)
    due_respond_at = models.DateTimeField(_("respond by"))
    due_match_at = models.DateTimeField(_("match by"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("accepted by"),
    )  # fmt: skip
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="demands",
        verbose_name=_("booking"),
    )  # fmt: skip
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejecting"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_respond_at"], name="demand_status_due"),
            models.Index(fields=["resident", "status"], name="demand_resident_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="demand_idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        what = self.service.name_zh if self.service_id else self.description[:30]
        return f"{self.resident} · {what} ({self.status})"

    @property
    def fhir_status(self) -> str:
        return FHIR_TASK_STATUS[DemandStatus(self.status)]

    @property
    def fhir_priority(self) -> str:
        return FHIR_PRIORITY[self.tier]


class DemandEvent(models.Model):
    """One step in a demand's history; rows are only ever added."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    from_status = models.CharField(max_length=12, blank=True, choices=DemandStatus.choices)
    to_status = models.CharField(max_length=12, choices=DemandStatus.choices)
    action = models.CharField(_("action"), max_length=20)
    detail = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("demand event")
        verbose_name_plural = _("demand events")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="demand_event_idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.action}: {self.from_status} → {self.to_status}"
