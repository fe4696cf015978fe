"""The health profile's "hard" data (seed 002 §2.1): conditions coded in ICD-10, medications
with adherence, allergies, family history and pregnancy; and the derived profile tags."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.core.models import new_public_id
from careloop.residents.models.people import Resident


class ConditionType(models.Model):
    """Reference table of conditions (ICD-10), shipped as versioned data (``data/``)."""

    code = models.CharField(_("ICD-10 code"), max_length=10, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100)
    chronic = models.BooleanField(_("chronic"), default=True)
    tag = models.CharField(
        _("profile tag"),
        max_length=40,
        blank=True,
        help_text=_("Tag code a resident with this condition receives."),
    )
    aliases = models.JSONField(_("other names"), default=list, blank=True)
    version = models.CharField(_("data version"), max_length=10, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("condition type")
        verbose_name_plural = _("condition types")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class ConditionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")


class ProfileSource(models.TextChoices):
    """Where a piece of profile data came from."""

    STAFF = "staff", _("Recorded by staff")
    SELF = "self", _("Reported by the resident")
    IMPORT = "import", _("Imported")
    FHIR = "fhir", _("FHIR interface")


class ResidentConditionQuerySet(models.QuerySet["ResidentCondition"]):
    def active(self) -> ResidentConditionQuerySet:
        return self.filter(status=ConditionStatus.ACTIVE)


class ResidentCondition(models.Model):
    """One condition of one resident (FHIR ``Condition``)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="conditions")
    condition = models.ForeignKey(
        ConditionType, on_delete=models.PROTECT, related_name="+", verbose_name=_("condition")
    )
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ConditionStatus.choices, default=ConditionStatus.ACTIVE
    )
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=ProfileSource.choices, default=ProfileSource.STAFF
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidentConditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident condition")
        verbose_name_plural = _("resident conditions")
        ordering = ["resident", "condition__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "condition"],
                condition=Q(status="active"),
                name="one_active_condition_per_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.condition}"


class Adherence(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    GOOD = "good", _("Good")
    PARTIAL = "partial", _("Partial")
    POOR = "poor", _("Poor")


class Medication(models.Model):
    """A medicine a resident takes (FHIR ``MedicationStatement``)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(_("medicine"), max_length=100)
    dose = models.CharField(_("dose"), max_length=50, blank=True)
    frequency = models.CharField(_("frequency"), max_length=50, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    adherence = models.CharField(
        _("adherence"), max_length=10, choices=Adherence.choices, blank=True, default=""
    )
    source = models.CharField(
        _("source"), max_length=10, choices=ProfileSource.choices, default=ProfileSource.STAFF
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("medication")
        verbose_name_plural = _("medications")
        ordering = ["resident", "-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="medication_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()


class AllergySeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class Allergy(models.Model):
    """An allergy or intolerance (FHIR ``AllergyIntolerance``)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(_("substance"), max_length=100)
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=AllergySeverity.choices, blank=True, default=""
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        ordering = ["resident", "substance", "id"]

    def __str__(self) -> str:
        return self.substance


class FamilyRelation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    SIBLING = "sibling", _("Brother or sister")
    CHILD = "child", _("Child")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER = "other", _("Other relative")


class FamilyHistory(models.Model):
    """A condition of a blood relative (FHIR ``FamilyMemberHistory``)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="family_history")
    relation = models.CharField(_("relation"), max_length=12, choices=FamilyRelation.choices)
    condition = models.ForeignKey(
        ConditionType, on_delete=models.PROTECT, related_name="+", verbose_name=_("condition")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("family history")
        verbose_name_plural = _("family history")
        ordering = ["resident", "relation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "relation", "condition"], name="family_history_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()}: {self.condition}"


class Pregnancy(models.Model):
    """A pregnancy: pregnant until delivery, postpartum until ``postpartum_until``."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="pregnancies")
    due_date = models.DateField(_("due date"))
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    postpartum_until = models.DateField(_("postpartum until"), null=True, blank=True)
    ended = models.BooleanField(_("ended without delivery"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pregnancy")
        verbose_name_plural = _("pregnancies")
        ordering = ["resident", "-due_date", "id"]

    def __str__(self) -> str:
        return f"{self.resident} · {self.due_date}"


class ResidentTag(models.Model):
    """A derived profile tag (``tagging.derive_tags``), stored so lists and eligibility can
    filter on it; rewritten by ``services.refresh_tags`` whenever the profile changes."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="profile_tags")
    code = models.CharField(_("tag"), max_length=40)
    since = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("profile tag")
        verbose_name_plural = _("profile tags")
        ordering = ["resident", "code"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "code"], name="resident_tag_unique")
        ]
        indexes = [models.Index(fields=["code", "resident"])]

    def __str__(self) -> str:
        return self.code
