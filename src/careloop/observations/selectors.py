"""Permission-scoped reads of readings, alerts, devices and rules. Everything about a resident
is reached through ``residents.selectors``: outside the caller's scope is 404."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError, NotFoundError
from careloop.core.models import User
from careloop.observations import codes
from careloop.observations.models import ACTIVE_STATUSES, Alert, AlertRule, Device, Observation
from careloop.residents.models import Resident
from careloop.residents.selectors import get_resident_for, residents_visible_to


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Alerts of the residents ``user`` may see (care team, community staff, the resident)."""
    return (
        Alert.objects.filter(resident__in=residents_visible_to(user).values("pk"))
        .select_related("rule", "resident", "acknowledged_by", "last_reading")
        .order_by("-opened_at", "-id")
    )


def active_alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Open and acknowledged alerts, most severe first (the workbench queue)."""
    return alerts_visible_to(user).filter(status__in=ACTIVE_STATUSES)


def alerts_for(
    user: User, resident_public_id: str, *, status: str | None = None
) -> QuerySet[Alert]:
    """One resident's alerts, newest first (NotFoundError outside scope; staff reads audited)."""
    resident = get_resident_for(user, resident_public_id, purpose="alerts")
    alerts = Alert.objects.filter(resident=resident).select_related(
        "rule", "acknowledged_by", "last_reading"
    )
    if status:
        alerts = alerts.filter(status=status)
    return alerts.order_by("-opened_at", "-id")


def get_alert_for(user: User, resident_public_id: str, alert_public_id: str) -> Alert:
    alert = (
        alerts_visible_to(user)
        .filter(public_id=alert_public_id, resident__public_id=resident_public_id)
        .first()
    )
    if alert is None:
        raise NotFoundError("observations.alert_not_found", _("No such alert."))
    return alert


def resolve_code(code: str | None) -> str | None:
    """A LOINC code or short key (``bp``) → the LOINC code; DomainError when unknown."""
    if not code:
        return None
    spec = codes.spec_for(code)
    if spec is None:
        raise DomainError(
            "observations.invalid",
            _("Please correct the marked fields."),
            fields={"code": [_("Unknown kind of reading.")]},
        )
    return spec.code


def readings_of(
    resident: Resident,
    *,
    code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Observation]:
    """Readings of a resident already obtained through a scoped selector; ``since`` is
    inclusive, ``until`` exclusive (FHIR ``date=ge…&date=lt…``). Newest first."""
    readings = Observation.objects.filter(resident=resident)
    if code:
        readings = readings.filter(code=code)
    if since is not None:
        readings = readings.filter(effective_at__gte=since)
    if until is not None:
        readings = readings.filter(effective_at__lt=until)
    return readings.order_by("-effective_at", "-id")


def readings_for(
    user: User,
    resident_public_id: str,
    code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Observation]:
    """A resident's readings as ``user`` may see them (NotFoundError outside scope; staff
    reads audited). ``code`` is a LOINC code or a short key."""
    resident = get_resident_for(user, resident_public_id, purpose="readings")
    return readings_of(resident, code=resolve_code(code), since=since, until=until)


def devices_for(user: User, resident_public_id: str) -> QuerySet[Device]:
    resident = get_resident_for(user, resident_public_id, purpose="devices")
    return Device.objects.filter(resident=resident).order_by("-registered_at", "-id")


def get_device_for(user: User, device_public_id: str) -> Device:
    device = (
        Device.objects.select_related("resident")
        .filter(public_id=device_public_id, resident__in=residents_visible_to(user).values("pk"))
        .first()
    )
    if device is None:
        raise NotFoundError("observations.device_not_found", _("No such device."))
    return device


def active_rules() -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(active=True).order_by("code")


def rule_history(code: str) -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(code=code).order_by("-version")
