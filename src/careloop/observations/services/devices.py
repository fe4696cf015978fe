"""Registering and revoking a resident's measuring devices."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.observations.models import Device, DeviceKind
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to
from careloop.residents.services import EDITOR_ROLES

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

DEVICE_TOKEN_PREFIX = "cld_"  # noqa: S105 (a public marker, not a secret)


@dataclass(frozen=True)
class IssuedDevice:
    device: Device
    key: str  # the plaintext token: show it once, never store it


def require_staff_editor(actor: User, resident: Resident) -> None:
    """Staff who may change ``resident``'s record: an editor role and the resident in scope
    (care team, or the director and system administrator of the community)."""
    if actor.is_superuser:
        return
    if not residents_visible_to(actor).filter(pk=resident.pk).exists():
        raise NotFoundError("residents.not_found", _("No such resident."))
    if not actor.has_role(*EDITOR_ROLES):
        raise ForbiddenError("observations.forbidden", _("You may not manage devices."))


def register_device(
    *, actor: User, resident: Resident, kind: str, serial: str = "", label: str = ""
) -> IssuedDevice:
    """Register a device to ``resident`` and issue its bearer token (returned once)."""
    require_staff_editor(actor, resident)
    fields: dict[str, list[str | StrPromise]] = {}
    if kind not in DeviceKind.values:
        fields["kind"] = [_("Choose a device kind from the list.")]
    serial, label = serial.strip(), label.strip()
    if len(serial) > 64:
        fields["serial"] = [_("A serial number has at most 64 characters.")]
    if len(label) > 100:
        fields["label"] = [_("A label has at most 100 characters.")]
    if fields:
        raise DomainError(
            "observations.invalid", _("Please correct the marked fields."), fields=fields
        )
    key = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device(
        resident=resident,
        kind=kind,
        serial=serial,
        label=label,
        key_hash=Device.hash_key(key),
        prefix=key[:9],
        registered_by=actor,
        registered_at=clock.now(),
    )
    try:
        with transaction.atomic():
            device.save()
            audit.record(
                actor=actor,
                action="careloop.device.registered",
                obj=resident,
                detail={"device": device.public_id, "kind": kind, "prefix": device.prefix},
            )
    except IntegrityError:
        message = _("This device is already registered to a resident.")
        raise ConflictError(
            "observations.device_in_use", message, fields={"serial": [message]}
        ) from None
    return IssuedDevice(device=device, key=key)


def revoke_device(*, actor: User, device: Device) -> Device:
    """Revoke ``device``: its token stops working at once. Revoking twice changes nothing."""
    require_staff_editor(actor, device.resident)
    if not device.active:
        return device
    with transaction.atomic():
        device.active = False
        device.revoked_at = clock.now()
        device.save(update_fields=["active", "revoked_at"])
        audit.record(
            actor=actor,
            action="careloop.device.revoked",
            obj=device.resident,
            detail={"device": device.public_id, "prefix": device.prefix},
        )
    return device
