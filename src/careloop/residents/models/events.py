"""Life events (退休、搬家、新诊断、出院…) and the invitations to answer the needs-review
questionnaire that they, and the quarterly review of key groups, send a resident
(seed 002 §2.3 "dynamic updates"). The answers may file demands (``demands.services.intake``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.core.models import new_public_id
from careloop.residents.models.people import Resident
from careloop.residents.models.questionnaires import Questionnaire, QuestionnaireResponse


class LifeEventKind(models.TextChoices):
    RETIREMENT = "retirement", _("Retirement")
    MOVED = "moved", _("Moved home")
    NEW_DIAGNOSIS = "new_diagnosis", _("New diagnosis")
    DISCHARGE = "discharge", _("Discharged from hospital")
    PREGNANCY = "pregnancy", _("Pregnancy")
    BEREAVEMENT = "bereavement", _("Bereavement")


class LifeEvent(models.Model):
    """Something that changed in a resident's life and may change what they need."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="life_events")
    kind = models.CharField(_("life event"), max_length=20, choices=LifeEventKind.choices)
    occurred_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.resident} · {self.kind} {self.occurred_on}"


class ReviewReason(models.TextChoices):
    # The codes are the demand channels the answers are filed on.
    LIFE_EVENT = "life_event", _("Life event")
    PERIODIC_REVIEW = "periodic_review", _("Quarterly review")


class ReviewInvitation(models.Model):
    """A resident is asked to answer the needs-review questionnaire: after a life event, or
    once a quarter for key groups. ``period_key`` makes each invitation unique: the quarter
    ("2026Q1") of a periodic review, the event's public id for a life event."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="review_invitations"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="invitations"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReviewReason.choices)
    life_event = models.ForeignKey(
        LifeEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    period_key = models.CharField(_("period"), max_length=40)
    sent_at = models.DateTimeField(_("invited at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    response = models.ForeignKey(
        QuestionnaireResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )

    class Meta:
        verbose_name = _("review invitation")
        verbose_name_plural = _("review invitations")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "reason", "period_key"], name="review_invitation_unique"
            )
        ]
        indexes = [models.Index(fields=["resident", "answered_at"], name="review_inv_open")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.reason} {self.period_key}"
