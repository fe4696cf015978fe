"""Device tokens on the FHIR facade: ``Authorization: Bearer cld_…`` (a registered measuring
device, ``observations.auth.device_for_token``). The caller is the device: ``via="device"``,
``credential`` the Device, ``user`` anonymous (a device is not a person), so only the
interactions a handler lists in ``device_interactions`` are open to it (Observation create,
for its own resident). Registered by ``resources.observation`` when the registry loads it."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from careloop.core.models import User
from careloop.fhir.context import Caller
from careloop.observations.auth import device_for_token
from careloop.observations.services.devices import DEVICE_TOKEN_PREFIX


def device_token(request: HttpRequest) -> Caller | None:
    scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith(DEVICE_TOKEN_PREFIX):
        return None
    device = device_for_token(key)
    if device is None:
        return None
    request.device = device  # type: ignore[attr-defined]
    return Caller(user=cast(User, AnonymousUser()), via="device", credential=device)
