"""Demands: one health-service need of one resident, and its append-only history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import Booking, Service
from careloop.core.models import new_public_id
from careloop.demands import classify
from careloop.residents.models import Resident

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django_stubs_ext import StrPromise

    _StarsSet = float | int | str | Combinable
    StarsField = models.PositiveSmallIntegerField[_StarsSet, int]
    OptionalStarsField = models.PositiveSmallIntegerField[_StarsSet | None, int | None]


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
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
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
        what = self.service.name_zh if self.service is not None else self.description[:30]
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


class OfferKind(models.TextChoices):
    MATCH = "match", _("Matching time")
    ALTERNATIVE = "alternative", _("Alternative")


class OfferStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


class DemandOffer(models.Model):
    """A concrete slot proposed for a demand: an exact match ranked by preference fit, or an
    alternative found by relaxing constraints (``relaxed`` names what was given up). Numbers
    count up per demand and are never reused, so "accept alternative 2" means one thing."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="offers")
    number = models.PositiveSmallIntegerField(_("number"))
    slot = models.ForeignKey(
        "catalogue.Slot", on_delete=models.CASCADE, related_name="+", verbose_name=_("slot")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=OfferKind.choices)
    relaxed = models.JSONField(_("relaxed"), default=list, blank=True)
    cost = models.PositiveIntegerField(_("preference cost"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.OFFERED
    )
    created_at = models.DateTimeField(_("offered at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["demand", "number"]
        constraints = [
            models.UniqueConstraint(fields=["demand", "number"], name="demand_offer_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} #{self.number} ({self.kind}, {self.status})"


class BreachKind(models.TextChoices):
    RESPOND = "respond", _("Not accepted in time")
    MATCH = "match", _("Not matched in time")


class EscalationLevel(models.IntegerChoices):
    TEAM_LEAD = 1, _("Team lead")
    DIRECTOR = 2, _("Centre director")


class DeadlineBreach(models.Model):
    """A deadline a demand missed, and whom it was escalated to. One row per demand, kind
    and level: a sweep run twice records a breach once."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="breaches")
    kind = models.CharField(_("kind"), max_length=8, choices=BreachKind.choices)
    level = models.PositiveSmallIntegerField(_("escalated to"), choices=EscalationLevel.choices)
    due_at = models.DateTimeField(_("due at"))
    detected_at = models.DateTimeField(_("detected at"))

    class Meta:
        verbose_name = _("deadline breach")
        verbose_name_plural = _("deadline breaches")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "kind", "level"], name="deadline_breach_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.kind} L{self.level}"


class GreenChannelCase(models.Model):
    """The emergency green channel of one critical demand (002 §4.3): opened at once, the
    on-duty clinician and the care team notified, a 120 / hospital-transfer record kept,
    nearby volunteers alerted, and each step's time kept against the minute deadlines."""

    demand = models.OneToOneField(Demand, on_delete=models.CASCADE, related_name="green_channel")
    opened_at = models.DateTimeField(_("opened at"))
    on_duty = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("on-duty clinician"),
    )  # fmt: skip
    transfer_to = models.ForeignKey(
        "catalogue.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("transfer hospital"),
    )  # fmt: skip
    volunteers_alerted = models.PositiveSmallIntegerField(_("volunteers alerted"), default=0)
    due_respond_at = models.DateTimeField(_("respond by"))
    due_handover_at = models.DateTimeField(_("hand over by"))
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    ambulance_called_at = models.DateTimeField(_("120 called at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("green-channel case")
        verbose_name_plural = _("green-channel cases")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"green channel {self.demand_id}"


class RatingSource(models.TextChoices):
    PORTAL = "portal", _("Resident portal")
    PHONE = "phone", _("By phone, recorded by staff")
    FOLLOW_UP = "follow_up", _("During the follow-up call")


RATING_DIMENSIONS = ("response_speed", "professionalism", "attitude", "result", "convenience")


@overload
def _stars(label: StrPromise, *, required: Literal[True]) -> StarsField: ...
@overload
def _stars(label: StrPromise, *, required: Literal[False] = False) -> OptionalStarsField: ...
def _stars(label: StrPromise, *, required: bool = False) -> StarsField | OptionalStarsField:
    if required:
        stars: StarsField = models.PositiveSmallIntegerField(label)
        return stars
    optional: OptionalStarsField = models.PositiveSmallIntegerField(label, null=True, blank=True)
    return optional


class Rating(models.Model):
    """The resident's evaluation of a completed demand (002 §4.1.4): 1–5 stars overall and on
    five dimensions, and an optional comment. One per demand."""

    demand = models.OneToOneField(Demand, on_delete=models.CASCADE, related_name="rating")
    overall = _stars(_("overall"), required=True)
    response_speed = _stars(_("response speed"))
    professionalism = _stars(_("professionalism"))
    attitude = _stars(_("attitude"))
    result = _stars(_("result"))
    convenience = _stars(_("convenience"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=RatingSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall__gte=1, overall__lte=5)
                & (Q(response_speed__isnull=True) | Q(response_speed__gte=1, response_speed__lte=5))
                & (
                    Q(professionalism__isnull=True)
                    | Q(professionalism__gte=1, professionalism__lte=5)
                )
                & (Q(attitude__isnull=True) | Q(attitude__gte=1, attitude__lte=5))
                & (Q(result__isnull=True) | Q(result__gte=1, result__lte=5))
                & (Q(convenience__isnull=True) | Q(convenience__gte=1, convenience__lte=5)),
                name="rating_stars_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.overall}★"


class FollowUpStatus(models.TextChoices):
    DUE = "due", _("Due")
    DONE = "done", _("Done")
    UNREACHABLE = "unreachable", _("Could not reach")


class FollowUpCall(models.Model):
    """The follow-up call (回访) due 24 h after completion, for the family doctor (002 §4.2.3),
    with the short script's answers; new needs it finds become demands."""

    demand = models.OneToOneField(Demand, on_delete=models.CASCADE, related_name="follow_up")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("assigned to"),
    )  # fmt: skip
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.DUE
    )
    problem_solved = models.BooleanField(_("problem solved"), null=True, blank=True)
    new_needs = models.CharField(_("new needs"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    done_at = models.DateTimeField(_("called at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="follow_up_status_due")]

    def __str__(self) -> str:
        return f"follow-up {self.demand_id} ({self.status})"


class ActionGuard(models.Model):
    """A one-use form token claimed by a workbench action that has no idempotency key of its
    own (match again, re-plan now). The unique key makes a second claim fail in every web
    process until ``expires_at`` (``services.claim_once``)."""

    key = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="action_guard_expires")]

    def __str__(self) -> str:
        return f"{self.key} until {self.expires_at:%Y-%m-%d %H:%M}"
