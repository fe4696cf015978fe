"""The provider network (002 §3.3): organisations, the people who serve, referral agreements
between organisations and visiting-specialist sessions."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models.catalogue import BilingualName, Service, Skill, code_validator
from careloop.core.models import Community, new_public_id

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

    # A nullable DecimalField as the stubs see it: set from a number, read as Decimal or None.
    CoordinateField = models.DecimalField[str | float | Decimal | Combinable | None, Decimal | None]


class OrganisationKind(models.TextChoices):
    COMMUNITY_CENTRE = "community_centre", _("Community health centre")
    HOSPITAL = "hospital", _("Hospital (medical alliance)")
    THIRD_PARTY = "third_party", _("Third-party agency")
    SOCIAL_ORGANISATION = "social_org", _("Social organisation")
    VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")


def latitude_field() -> CoordinateField:
    return models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )


def longitude_field() -> CoordinateField:
    return models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )


class Organisation(BilingualName):
    """A supplier of services. ``community`` is the community whose staff manage this record:
    for a community centre the community it serves; for a partner the contracting community.
    Without a community only superusers may edit it."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    code = models.CharField(_("code"), max_length=60, unique=True, validators=[code_validator])
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    community = models.ForeignKey(
        Community,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("community"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "code"]


class ProviderKind(models.TextChoices):
    PRACTITIONER = "practitioner", _("Practitioner")
    HEALTH_MANAGER = "health_manager", _("Health manager")
    VOLUNTEER = "volunteer", _("Volunteer")


class ProviderSex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Language(BilingualName):
    """A language or dialect a provider speaks (普通话, 武汉话, English …)."""

    code = models.CharField(_("code"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["code"]


class Provider(models.Model):
    """A person who delivers services: practitioner, health manager or volunteer."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=ProviderKind.choices)
    title = models.CharField(_("professional title"), max_length=60, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="providers"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider",
        verbose_name=_("login"),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=ProviderSex.choices)
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="providers", verbose_name=_("skills")
    )
    services = models.ManyToManyField(
        Service, blank=True, related_name="providers", verbose_name=_("services offered")
    )
    languages = models.ManyToManyField(
        Language, blank=True, related_name="providers", verbose_name=_("languages")
    )
    base_latitude = latitude_field()
    base_longitude = longitude_field()
    radius_km = models.DecimalField(
        _("home-visit radius (km)"), max_digits=5, decimal_places=1, default=Decimal("3.0")
    )
    rating_avg = models.DecimalField(
        _("average rating"), max_digits=3, decimal_places=2, default=Decimal("0.00")
    )
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organisation", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_avg__gte=0) & Q(rating_avg__lte=5), name="provider_rating_range"
            ),
            models.CheckConstraint(condition=Q(radius_km__gte=0), name="provider_radius_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ReferralKind(models.TextChoices):
    TWO_WAY = "two_way", _("Two-way referral")
    SPECIALIST_ALLIANCE = "specialist_alliance", _("Specialist alliance")
    REMOTE_CONSULTATION = "remote_consultation", _("Remote consultation")
    SERVICE_CONTRACT = "service_contract", _("Service contract")


class ReferralAgreement(models.Model):
    """An agreement between two organisations, e.g. two-way referral centre ⇄ hospital."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="agreements_made"
    )
    partner = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="agreements_received"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReferralKind.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("referral agreement")
        verbose_name_plural = _("referral agreements")
        constraints = [
            models.CheckConstraint(
                condition=~Q(organisation=F("partner")), name="agreement_not_with_self"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="agreement_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ⇄ {self.partner} ({self.kind})"

    def state_on(self, day: date) -> str:
        """``upcoming``, ``active`` or ``ended`` on ``day``."""
        if day < self.valid_from:
            return "upcoming"
        if self.valid_to is not None and self.valid_to < day:
            return "ended"
        return "active"


class SpecialistSession(models.Model):
    """A visiting specialist's recurring session at a host organisation ("cardiologist every
    Wednesday afternoon"). Its slots come from the linked weekly schedule."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    host = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="specialist_sessions"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="specialist_sessions"
    )
    specialty_zh = models.CharField(_("specialty (Chinese)"), max_length=60)
    specialty_en = models.CharField(_("specialty (English)"), max_length=60, blank=True)
    schedule = models.OneToOneField(
        "catalogue.WeeklySchedule",
        on_delete=models.CASCADE,
        related_name="specialist_session",
    )

    class Meta:
        verbose_name = _("specialist session")
        verbose_name_plural = _("specialist sessions")

    def __str__(self) -> str:
        return f"{self.specialty_zh} · {self.provider} @ {self.host}"

    @property
    def weekday(self) -> int:
        return self.schedule.weekday

    def state_on(self, day: date) -> str:
        """``cancelled``, ``upcoming``, ``active`` or ``ended`` on ``day``."""
        schedule = self.schedule
        if not schedule.active:
            return "cancelled"
        if day < schedule.valid_from:
            return "upcoming"
        if schedule.valid_to is not None and schedule.valid_to < day:
            return "ended"
        return "active"

    @property
    def start_time(self) -> time:
        return self.schedule.start_time

    @property
    def end_time(self) -> time:
        return self.schedule.end_time
