"""Residents enrolled in packages, and per item when it was last delivered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models.catalogue import Package, PackageItem
from careloop.core.models import new_public_id
from careloop.residents.models import Resident


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class Enrolment(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="enrolments")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="enrolments")
    enrolled_on = models.DateField(_("enrolled on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("package enrolment")
        verbose_name_plural = _("package enrolments")
        ordering = ["-enrolled_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "package"],
                condition=Q(status="active"),
                name="one_active_enrolment_per_package",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.package}"


class EnrolmentItemState(models.Model):
    """When an item of an enrolment was last delivered; ``record_delivery`` moves it on."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="item_states")
    item = models.ForeignKey(PackageItem, on_delete=models.CASCADE, related_name="states")
    last_delivered_on = models.DateField(_("last delivered on"), null=True, blank=True)
    delivered_count = models.PositiveIntegerField(_("times delivered"), default=0)

    class Meta:
        verbose_name = _("enrolment item")
        verbose_name_plural = _("enrolment items")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "item"], name="enrolment_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.item.service.code}"
