from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.core import clock
from careloop.core.fields import EncryptedTextField
from careloop.core.models import Community, User, new_public_id


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Disability(models.TextChoices):
    NONE = "", _("None")
    PHYSICAL = "physical", _("Physical")
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing or speech")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class ContactChannel(models.TextChoices):
    """How a resident prefers to be told about their services (首选联系方式)."""

    APP = "app", _("Resident app")
    SMS = "sms", _("Text message")
    WECHAT = "wechat", _("WeChat")
    PHONE = "phone", _("Phone call")


class TimeOfDay(models.TextChoices):
    ANY = "any", _("Any time")
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class Household(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="households")
    code = models.CharField(_("household number"), max_length=40)
    address = EncryptedTextField(_("address"), blank=True)
    # Where the home is (both or neither), for home-visit radii and the green channel's
    # nearby volunteers. CareLoop assumes one datum for every coordinate it stores
    # (organisations, providers' bases, homes, demands): GCJ-02, as Amap and Tencent maps
    # show them (Baidu's BD-09 and GPS's WGS-84 must be converted before they are entered).
    # Distances are only taken between two points of that one datum.
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)],
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="household_code_unique"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="household_location_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | Q(
                    latitude__gte=-90.0,
                    latitude__lte=90.0,
                    longitude__gte=-180.0,
                    longitude__lte=180.0,
                ),
                name="household_location_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def location(self) -> tuple[float, float] | None:
        """(latitude, longitude), or None when the home is not located."""
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude


class Resident(models.Model):
    """A person served by the centre: the root of the health record (健康档案)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="residents")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address = EncryptedTextField(_("address"), blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    living_alone = models.BooleanField(_("lives alone"), default=False)
    disability = models.CharField(
        _("disability"), max_length=20, choices=Disability.choices, blank=True, default=""
    )
    # Contact preferences (002 §4.2 "human touch"): how and when staff and the outbox reach
    # the resident; an elder without a smartphone gets a phone call from the care team.
    contact_channel = models.CharField(
        _("preferred contact"),
        max_length=10,
        choices=ContactChannel.choices,
        default=ContactChannel.SMS,
    )
    has_smartphone = models.BooleanField(_("has a smartphone"), default=True)
    contact_note = models.CharField(_("contact note"), max_length=120, blank=True)
    preferred_time_of_day = models.CharField(
        _("best time to call"), max_length=10, choices=TimeOfDay.choices, default=TimeOfDay.ANY
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["community", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def age(self) -> int:
        return clock.age_on(self.birth_date, clock.today())

    @property
    def active_contract(self) -> CareContract | None:
        """The contract in force; prefetched by ``selectors.with_active_contract``."""
        prefetched = getattr(self, "active_contracts", None)
        if prefetched is not None:
            return prefetched[0] if prefetched else None
        return (
            self.contracts.filter(status=ContractStatus.ACTIVE)
            .select_related("team", "doctor")
            .first()
        )

    @property
    def masked_name(self) -> str:
        """张** style, for public screens."""
        return self.name[:1] + "*" * max(len(self.name) - 1, 1)

    @property
    def masked_id_number(self) -> str:
        return f"{self.id_number[:6]}********{self.id_number[-4:]}" if self.id_number else ""

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if self.phone else ""


class GuardianRelation(models.TextChoices):
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Adult child")
    SPOUSE = "spouse", _("Spouse")
    OTHER = "other", _("Other guardian")


class GuardianLink(models.Model):
    """``guardian`` may see and act for ``dependant`` (a child, an elder who needs help)."""

    guardian = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="dependant_links")
    dependant = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="guardian_links")
    relation = models.CharField(_("relation"), max_length=10, choices=GuardianRelation.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guardian link")
        verbose_name_plural = _("guardian links")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "dependant"], name="guardian_link_unique"),
            models.CheckConstraint(
                condition=~Q(guardian=models.F("dependant")), name="guardian_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.dependant}"


class CareTeam(models.Model):
    """A family-doctor team (家庭医生团队): doctors, nurses and health managers."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="care_teams")
    name = models.CharField(_("name"), max_length=100)
    members: models.ManyToManyField[User, CareTeamMember] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CareTeamMember", related_name="care_teams"
    )

    class Meta:
        verbose_name = _("care team")
        verbose_name_plural = _("care teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CareTeamMember(models.Model):
    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_team_memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="care_team_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.user}"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class CareContract(models.Model):
    """A family-doctor contract (家庭医生签约): it decides which team sees the resident."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="contracts")
    team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="contracts")
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signed_contracts",
    )
    signed_on = models.DateField(_("signed on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )

    class Meta:
        verbose_name = _("care contract")
        verbose_name_plural = _("care contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status="active"),
                name="one_active_contract_per_resident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.team} ({self.signed_on}–{self.ends_on})"
