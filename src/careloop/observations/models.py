"""Devices, readings (observations), alert rules and alerts.

A reading is stored once: a device's retry is recognised by (device, identifier), a manual or
clinic entry's by (resident, source, identifier), both unique in the database. At most one
alert per resident and rule code is open or acknowledged at a time (a conditional unique
constraint), so two readings arriving together cannot open two alerts.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.core.models import new_public_id
from careloop.observations import codes, rules
from careloop.residents.models import Resident


class DeviceKind(models.TextChoices):
    BP_MONITOR = "bp_monitor", _("Blood pressure monitor")
    GLUCOMETER = "glucometer", _("Glucometer")
    WRISTBAND = "wristband", _("Wristband")
    SCALE = "scale", _("Scale")
    THERMOMETER = "thermometer", _("Thermometer")
    OXIMETER = "oximeter", _("Pulse oximeter")


class Device(models.Model):
    """A measuring device registered to one resident. It authenticates with its own bearer
    token (``cld_…``), of which only the SHA-256 is stored; revoking it ends the token."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="devices")
    kind = models.CharField(_("kind"), max_length=20, choices=DeviceKind.choices)
    serial = models.CharField(_("serial number"), max_length=64, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    registered_at = models.DateTimeField(_("registered at"))
    active = models.BooleanField(_("active"), default=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["-registered_at", "id"]
        constraints = [
            # One physical device serves one resident at a time.
            models.UniqueConstraint(
                fields=["kind", "serial"],
                condition=Q(active=True) & ~Q(serial=""),
                name="device_active_serial_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial or self.prefix}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Source(models.TextChoices):
    DEVICE = "device", _("Device")
    MANUAL = "manual", _("Entered by hand")
    CLINIC = "clinic", _("Measured at the clinic")


class ObservationCode(models.TextChoices):
    """The LOINC codes CareLoop records (details in ``codes.py``)."""

    BP = codes.BP, _("Blood pressure")
    GLUCOSE_FASTING = codes.GLUCOSE_FASTING, _("Fasting glucose (meter)")
    GLUCOSE_FASTING_LAB = codes.GLUCOSE_FASTING_LAB, _("Fasting glucose (lab)")
    GLUCOSE_RANDOM = codes.GLUCOSE_RANDOM, _("Random glucose (meter)")
    GLUCOSE_RANDOM_LAB = codes.GLUCOSE_RANDOM_LAB, _("Random glucose (lab)")
    GLUCOSE_POST_MEAL = codes.GLUCOSE_POST_MEAL, _("Glucose 2 h after a meal")
    HEART_RATE = codes.HEART_RATE, _("Heart rate")
    SPO2 = codes.SPO2, _("Blood oxygen (SpO₂)")
    STEPS = codes.STEPS, _("Steps")
    BODY_WEIGHT = codes.BODY_WEIGHT, _("Body weight")
    BMI = codes.BMI, _("Body mass index")
    BODY_TEMPERATURE = codes.BODY_TEMPERATURE, _("Body temperature")


class Observation(models.Model):
    """One reading. Blood pressure is one row: ``value`` systolic, ``value2`` diastolic."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    # Indexed by obs_resident_code_time (resident first): no separate resident_id index.
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="observations", db_index=False
    )
    code = models.CharField(_("code"), max_length=20, choices=ObservationCode.choices)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    value2 = models.DecimalField(
        _("second value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    effective_at = models.DateTimeField(_("measured at"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="observations"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    identifier = models.CharField(_("source identifier"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["-effective_at", "-id"]
        indexes = [
            # Observation?patient=&code=&date=… and the rules' history windows.
            models.Index(
                fields=["resident", "code", "effective_at"], name="obs_resident_code_time"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "identifier"],
                condition=Q(device__isnull=False) & ~Q(identifier=""),
                name="obs_device_identifier_unique",
            ),
            models.UniqueConstraint(
                fields=["resident", "source", "identifier"],
                condition=Q(device__isnull=True) & ~Q(identifier=""),
                name="obs_source_identifier_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} {self.summary}"

    @property
    def spec(self) -> codes.CodeSpec:
        return codes.CODES[self.code]

    @property
    def unit(self) -> str:
        return self.spec.unit

    @property
    def summary(self) -> str:
        return codes.format_value(self.code, self.value, self.value2)


class Severity(models.TextChoices):
    ROUTINE = rules.ROUTINE, _("Routine")
    URGENT = rules.URGENT, _("Urgent")
    CRITICAL = rules.CRITICAL, _("Critical")


# Severity → FHIR Task.priority (DOMAIN.md service-level tiers).
FHIR_PRIORITY = {Severity.ROUTINE: "routine", Severity.URGENT: "urgent", Severity.CRITICAL: "stat"}


class RuleKind(models.TextChoices):
    THRESHOLD = rules.THRESHOLD, _("Threshold")
    FLUCTUATION = rules.FLUCTUATION, _("Fluctuation")
    TREND = rules.TREND, _("Trend")


class AlertRule(models.Model):
    """One version of an alert rule. Editing makes a new version and deactivates the old one;
    alerts keep pointing at the version that raised them."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    parameters = models.JSONField(_("parameters"), default=dict)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="alert_rule_version_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(active=True), name="alert_rule_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def as_rule(self) -> rules.Rule:
        return rules.Rule(self.code, self.kind, self.severity, self.parameters)

    @property
    def display_name(self) -> str:
        return str(DEFAULT_RULE_NAMES.get(self.code, self.name))


# Translated names of the shipped rules; a rule a director adds shows its stored name.
DEFAULT_RULE_NAMES = {
    "bp-high": _("High blood pressure"),
    "bp-fluctuation": _("Blood pressure fluctuation"),
    "glucose-high": _("High blood glucose"),
    "glucose-low": _("Low blood glucose"),
    "heart-rate-high": _("Fast heart rate"),
    "heart-rate-low": _("Slow heart rate"),
    "spo2-low": _("Low blood oxygen"),
    "activity-drop": _("Sudden drop in activity"),
}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    """An episode of one rule for one resident: opened by the first qualifying reading,
    updated (count, last reading, severity) by later ones until it is closed."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    rule_code = models.SlugField(_("rule"), max_length=40)
    episode_key = models.CharField(_("episode"), max_length=80)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    summary = models.CharField(_("summary"), max_length=120, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    first_reading = models.ForeignKey(
        Observation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reading = models.ForeignKey(
        Observation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reading_count = models.PositiveIntegerField(_("readings"), default=1)
    opened_at = models.DateTimeField(_("opened at"))
    last_triggered_at = models.DateTimeField(_("last triggered at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["resident", "status"], name="alert_resident_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "rule_code"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alert_one_active_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.severity} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
