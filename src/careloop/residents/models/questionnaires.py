"""Questionnaires ("soft" data of seed 002 §2.1): versioned definitions stored as data, and
the responses residents (or staff on their behalf) submit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from careloop.core.models import new_public_id
from careloop.residents.models.people import Resident


class Questionnaire(models.Model):
    """One version of a questionnaire definition. ``schema`` holds the items (see
    ``residents.questionnaire_schema``); only one version of a code is active at a time."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    title_zh = models.CharField(_("Chinese title"), max_length=100)
    title_en = models.CharField(_("English title"), max_length=150)
    schema = models.JSONField(_("schema"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="questionnaire_version_unique"
            ),
            models.UniqueConstraint(
                fields=["code"], condition=Q(active=True), name="one_active_questionnaire_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "").startswith("en") else self.title_zh

    @property
    def canonical(self) -> str:
        """``code|version``: how FHIR's ``QuestionnaireResponse.questionnaire`` names it."""
        return f"{self.code}|{self.version}"


class QuestionnaireResponse(models.Model):
    """One completed questionnaire; ``answers`` maps linkId → validated value."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="questionnaire_responses"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    answers = models.JSONField(_("answers"), default=dict)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf = models.BooleanField(_("answered on the resident's behalf"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)

    class Meta:
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["resident", "questionnaire", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.resident} · {self.questionnaire}"
