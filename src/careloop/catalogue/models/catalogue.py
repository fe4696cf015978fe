"""The service catalogue: skills, tags, services (with delivery modes and eligibility) and
life-cycle packages with their items. Reference data shipped in ``data/catalogue-v1.json``."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from careloop.catalogue import frequency
from careloop.catalogue.eligibility import EligibilityRules

code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$",
    _("Use lower-case letters, digits, underscores and dots, e.g. basic.chronic_refill."),
)


class BilingualName(models.Model):
    """``name_zh`` / ``name_en`` pair; ``name`` picks the active language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = get_language() or "zh-hans"
        if language.startswith("zh") or not self.name_en:
            return self.name_zh
        return self.name_en


class Tier(models.TextChoices):
    """002 §3.1: three levels of need."""

    BASIC = "basic", _("Basic (essential care)")
    MAINTENANCE = "maintenance", _("Health maintenance")
    DEVELOPMENT = "development", _("Health development")


class Category(models.TextChoices):
    BASIC_MEDICAL = "basic_medical", _("Basic medical care")
    PUBLIC_HEALTH = "public_health", _("Basic public health")
    EMERGENCY = "emergency", _("Emergency care")
    CHRONIC_DISEASE = "chronic_disease", _("Chronic disease management")
    SCREENING = "screening", _("Health risk screening")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    HEALTH_EDUCATION = "health_education", _("Health education")
    EXERCISE = "exercise", _("Exercise")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    HOME_CARE = "home_care", _("Home care and social support")


class DeliveryMode(models.TextChoices):
    HOME = "home", _("Home visit")
    CLINIC = "clinic", _("At the centre")
    ONLINE = "online", _("Online")
    GROUP = "group", _("Group session")


class LifeGroup(models.TextChoices):
    """002 §3.2: the four life-cycle packages."""

    ELDERLY = "elderly", _("Older people")
    CHILD = "child", _("Children and adolescents")
    WORKING = "working", _("Working adults")
    SPECIAL = "special", _("Special groups")


class EligibilitySex(models.TextChoices):
    ANY = "", _("Any")
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Skill(BilingualName):
    """A qualification a provider holds and a service may require (doctor, nurse …)."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]


class Tag(BilingualName):
    """A resident tag code that eligibility rules may require (diabetes, postpartum …)."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        ordering = ["code"]


class Eligible(models.Model):
    """Eligibility columns shared by services and packages. Read ``eligibility`` with
    ``required_tags`` prefetched (the selectors do) to avoid a query per row."""

    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    sex = models.CharField(
        _("sex"), max_length=1, choices=EligibilitySex.choices, blank=True, default=""
    )
    required_tags = models.ManyToManyField(
        Tag, blank=True, related_name="+", verbose_name=_("required tags")
    )

    class Meta:
        abstract = True

    @property
    def eligibility(self) -> EligibilityRules:
        return EligibilityRules(
            min_age=self.min_age,
            max_age=self.max_age,
            sex=self.sex,
            required_tags=frozenset(tag.code for tag in self.required_tags.all()),
        )


class Service(BilingualName, Eligible):
    """One service of the catalogue. ``code`` is stable and public (API, FHIR, demands)."""

    code = models.CharField(_("code"), max_length=60, unique=True, validators=[code_validator])
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    duration_minutes = models.PositiveSmallIntegerField(_("typical duration (minutes)"))
    price_fen = models.PositiveIntegerField(_("price (fen)"), default=0)
    insurance_covered_fen = models.PositiveIntegerField(_("covered by insurance (fen)"), default=0)
    is_public_health_basic = models.BooleanField(_("basic public-health service"), default=False)
    required_skills = models.ManyToManyField(
        Skill, blank=True, related_name="services", verbose_name=_("required skills")
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    catalogue_version = models.CharField(
        _("catalogue version"), max_length=20, blank=True, help_text=_("Shipped data version.")
    )

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["sort_order", "code"]
        indexes = [models.Index(fields=["tier", "category"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(insurance_covered_fen__lte=F("price_fen")),
                name="service_coverage_within_price",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=F("max_age")),
                name="service_age_range_ordered",
            ),
        ]

    @property
    def description(self) -> str:
        language = get_language() or "zh-hans"
        if language.startswith("zh") or not self.description_en:
            return self.description_zh
        return self.description_en

    @property
    def modes(self) -> list[str]:
        """Delivery-mode codes in a fixed order (prefetch ``delivery_modes`` for lists)."""
        offered = {row.mode for row in self.delivery_modes.all()}
        return [mode for mode in DeliveryMode.values if mode in offered]

    @property
    def resident_pays_fen(self) -> int:
        return self.price_fen - self.insurance_covered_fen


class ServiceMode(models.Model):
    """How a service can be delivered: one row per (service, mode), filterable in SQL
    (``Service.objects.filter(delivery_modes__mode="home")``)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="delivery_modes")
    mode = models.CharField(_("delivery mode"), max_length=8, choices=DeliveryMode.choices)

    class Meta:
        verbose_name = _("delivery mode")
        verbose_name_plural = _("delivery modes")
        constraints = [
            models.UniqueConstraint(fields=["service", "mode"], name="service_mode_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service.code}:{self.mode}"


class Package(BilingualName, Eligible):
    """A life-cycle service package (服务包): a bundle of services with frequencies."""

    code = models.CharField(_("code"), max_length=60, unique=True, validators=[code_validator])
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    group = models.CharField(_("life-cycle group"), max_length=10, choices=LifeGroup.choices)
    services: models.ManyToManyField[Service, PackageItem] = models.ManyToManyField(
        Service, through="PackageItem", related_name="packages"
    )
    active = models.BooleanField(_("active"), default=True)
    catalogue_version = models.CharField(_("catalogue version"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        ordering = ["group", "code"]


class FrequencyUnit(models.TextChoices):
    DAY = frequency.DAY, _("day")
    WEEK = frequency.WEEK, _("week")
    MONTH = frequency.MONTH, _("month")
    YEAR = frequency.YEAR, _("year")
    ONCE = frequency.ONCE, _("once")
    ON_REQUEST = frequency.ON_REQUEST, _("on request")


class PackageItem(models.Model):
    """A service inside a package, due every ``interval_count`` ``interval_unit``."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="package_items")
    interval_count = models.PositiveSmallIntegerField(_("every"), default=1)
    interval_unit = models.CharField(
        _("unit"), max_length=10, choices=FrequencyUnit.choices, default=FrequencyUnit.MONTH
    )
    note_zh = models.CharField(_("note (Chinese)"), max_length=200, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("package item")
        verbose_name_plural = _("package items")
        ordering = ["package", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "service"], name="package_item_unique"),
            models.CheckConstraint(
                condition=Q(interval_unit__in=["once", "on_request"]) | Q(interval_count__gte=1),
                name="package_item_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.code} · {self.service.code}"

    @property
    def is_recurring(self) -> bool:
        return self.interval_unit in frequency.RECURRING_UNITS
