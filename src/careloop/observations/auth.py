"""Device bearer tokens: ``Authorization: Bearer cld_…``. ``device_for_token`` is the one
lookup (the FHIR facade reuses it); ``DeviceTokenAuth`` plugs it into django-ninja."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from ninja.security import HttpBearer

from careloop.core import clock
from careloop.observations.models import Device
from careloop.observations.services.devices import DEVICE_TOKEN_PREFIX

# last_seen_at is refreshed at most this often, so uploads do not each add a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def device_for_token(key: str) -> Device | None:
    """The active (unrevoked) device whose token is ``key``, its resident loaded; or None."""
    if not key.startswith(DEVICE_TOKEN_PREFIX):
        return None
    device = (
        Device.objects.select_related("resident")
        .filter(key_hash=Device.hash_key(key), active=True, revoked_at__isnull=True)
        .first()
    )
    if device is None:
        return None
    now = clock.now()
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_RESOLUTION:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
    return device


class DeviceTokenAuth(HttpBearer):
    """Authenticates a device; ``request.auth`` is the Device (``request.user`` stays
    anonymous: a device is not a person)."""

    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        device = device_for_token(token)
        if device is not None:
            request.device = device  # type: ignore[attr-defined]
        return device
