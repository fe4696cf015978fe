"""Observations API: readings (devices, residents, staff), alerts and devices.

``POST /observations`` accepts a device token (``Bearer cld_…``) as well as a user's token or
session; everything else is for users only.
"""

# No "from __future__ import annotations": ninja resolves the query parameters of the
# paginated operation through the pagination wrapper, which cannot see this module's names.
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from careloop.core.api import ApiTokenAuth, SessionAuth, current_user
from careloop.core.errors import DomainError
from careloop.core.models import User
from careloop.core.schemas import ErrorOut
from careloop.observations import codes, selectors, services
from careloop.observations.auth import DeviceTokenAuth
from careloop.observations.models import Alert, Device
from careloop.observations.schemas import (
    AlertCloseIn,
    AlertOut,
    DeviceIn,
    DeviceIssuedOut,
    DeviceOut,
    ReadingOut,
    ReadingsIn,
    ReadingsResultOut,
    ReadingValuesIn,
)
from careloop.residents.selectors import get_resident_for

MAX_PAGE_SIZE = 1000

router = Router(tags=["observations"])


# ---- readings -------------------------------------------------------------------------------


def _reading_in(item: ReadingValuesIn, resident: Any) -> services.ReadingIn:
    """API body → service input. For blood pressure the service's ``value``/``value2`` are
    the systolic/diastolic pressures; a value sent in the wrong field is a field error."""
    spec = codes.spec_for(item.code)
    if spec is not None and spec.has_components:
        value, value2 = item.systolic, item.diastolic
        wrong = {"value": item.value}
    else:
        value, value2 = item.value, None
        wrong = {"systolic": item.systolic, "diastolic": item.diastolic}
    misplaced = [name for name, given in wrong.items() if given is not None]
    if misplaced:
        raise DomainError(
            "observations.invalid",
            _("Please correct the marked fields."),
            fields={name: [_("This field does not apply to this kind of reading.")]
                    for name in misplaced},
        )  # fmt: skip
    return services.ReadingIn(
        code=item.code, value=value, value2=value2, effective_at=item.effective_at,
        resident=resident, source=item.source, identifier=item.identifier,
    )  # fmt: skip


@router.post(
    "/observations",
    auth=[DeviceTokenAuth(), ApiTokenAuth(), SessionAuth()],
    response={200: ReadingsResultOut, 400: ErrorOut},
    summary="Record readings (devices, residents, staff)",
)
def post_observations(request: HttpRequest, payload: ReadingsIn) -> dict[str, Any]:
    """Record a list of readings. A device's readings belong to its resident (``resident`` may
    be left out); a resident may record their own (or a dependant's) readings by hand; care
    staff record for the residents they look after. Each reading with an ``identifier`` is
    stored once: resending it returns ``existing``. ``batch`` reports each reading's outcome
    and keeps the good ones (200); ``transaction`` stores all or nothing (400 with fields
    ``readings.<index>.<field>``)."""
    actor: User | Device = request.auth  # type: ignore[attr-defined]
    items: list[services.ReadingIn | DomainError] = []
    for item in payload.readings:
        try:
            items.append(_reading_in(item, item.resident))
        except DomainError as exc:
            items.append(exc)
    good = [i for i in items if isinstance(i, services.ReadingIn)]
    shaped = [
        services.ItemResult(index=n, error=i)
        for n, i in enumerate(items)
        if isinstance(i, DomainError)
    ]
    if payload.mode == services.TRANSACTION and shaped:
        raise _prefixed(services.BatchRefused(shaped))
    try:
        stored = services.record_readings(actor=actor, items=good, mode=payload.mode)
    except services.BatchRefused as exc:
        positions = [n for n, i in enumerate(items) if isinstance(i, services.ReadingIn)]
        for result in exc.results:
            result.index = positions[result.index]
        raise _prefixed(services.BatchRefused(exc.results)) from None
    results = iter(stored)
    merged = []
    for n, entry in enumerate(items):
        if isinstance(entry, services.ReadingIn):
            result = next(results)
        else:
            result = services.ItemResult(index=n, error=entry)
        result.index = n
        merged.append(result)
    return {
        "mode": payload.mode,
        "created": sum(r.status == "created" for r in merged),
        "existing": sum(r.status == "existing" for r in merged),
        "errors": sum(r.status == "error" for r in merged),
        "results": [
            {
                "index": r.index,
                "status": r.status,
                "id": r.observation.public_id if r.observation else None,
                "error": r.error.as_dict() if r.error else None,
            }
            for r in merged
        ],
    }


def _prefixed(exc: services.BatchRefused) -> DomainError:
    exc.fields = {f"readings.{name}": msgs for name, msgs in exc.fields.items()}
    return exc


@router.post(
    "/residents/{resident_id}/readings",
    response={200: ReadingOut, 201: ReadingOut, 400: ErrorOut, 404: ErrorOut},
    summary="Record one reading for a resident",
)
def post_reading(request: HttpRequest, resident_id: str, payload: ReadingValuesIn) -> Status[Any]:
    """One reading: a resident enters their own blood pressure by hand, or staff record a
    clinic measurement. 201 when stored, 200 when the identifier was already stored."""
    user = current_user(request)
    resident = get_resident_for(user, resident_id, purpose="record_reading")
    item = _reading_in(payload, resident)
    recorded = services.record_reading(
        actor=user, resident=resident, code=item.code, value=item.value, value2=item.value2,
        effective_at=item.effective_at, source=item.source, identifier=item.identifier,
    )  # fmt: skip
    return Status(201 if recorded.created else 200, recorded.observation)


@router.get(
    "/residents/{resident_id}/readings",
    response={200: list[ReadingOut], 400: ErrorOut, 404: ErrorOut},
)
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_readings(
    request: HttpRequest,
    resident_id: str,
    code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    """A resident's readings, newest first; ``code`` is a LOINC code or key (``bp``),
    ``since`` inclusive and ``until`` exclusive."""
    readings = selectors.readings_for(current_user(request), resident_id, code, since, until)
    return readings.select_related("resident", "device")


# ---- alerts ---------------------------------------------------------------------------------


def alert_out(alert: Alert) -> dict[str, Any]:
    last = alert.last_reading
    return {
        "id": alert.public_id,
        "resident": alert.resident.public_id,
        "rule": alert.rule_code,
        "rule_version": alert.rule.version,
        "rule_name": alert.rule.display_name,
        "kind": alert.rule.kind,
        "severity": alert.severity,
        "status": alert.status,
        "summary": alert.summary,
        "reading_count": alert.reading_count,
        "last_reading": last.public_id if last else None,
        "last_reading_at": last.effective_at if last else None,
        "opened_at": alert.opened_at,
        "last_triggered_at": alert.last_triggered_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": str(alert.acknowledged_by) if alert.acknowledged_by else None,
        "closed_at": alert.closed_at,
    }


@router.get("/residents/{resident_id}/alerts", response={200: list[AlertOut], 404: ErrorOut})
def list_alerts(
    request: HttpRequest, resident_id: str, status: str | None = None
) -> list[dict[str, Any]]:
    """A resident's alerts, newest first; ``status`` filters (open, acknowledged, closed)."""
    alerts = selectors.alerts_for(current_user(request), resident_id, status=status)
    return [alert_out(a) for a in alerts.select_related("resident")]


@router.post(
    "/residents/{resident_id}/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def acknowledge(request: HttpRequest, resident_id: str, alert_id: str) -> dict[str, Any]:
    """The care team has seen the alert (idempotent)."""
    user = current_user(request)
    alert = selectors.get_alert_for(user, resident_id, alert_id)
    alert = services.acknowledge_alert(actor=user, alert=alert)
    return alert_out(selectors.get_alert_for(user, resident_id, alert.public_id))


@router.post(
    "/residents/{resident_id}/alerts/{alert_id}/close",
    response={200: AlertOut, 403: ErrorOut, 404: ErrorOut},
)
def close(
    request: HttpRequest, resident_id: str, alert_id: str, payload: AlertCloseIn
) -> dict[str, Any]:
    """End the alert's episode (idempotent)."""
    user = current_user(request)
    alert = selectors.get_alert_for(user, resident_id, alert_id)
    services.close_alert(actor=user, alert=alert, note=payload.note)
    return alert_out(selectors.get_alert_for(user, resident_id, alert.public_id))


# ---- devices --------------------------------------------------------------------------------


def device_out(device: Device) -> dict[str, Any]:
    return {
        "id": device.public_id,
        "resident": device.resident.public_id,
        "kind": device.kind,
        "serial": device.serial,
        "label": device.label,
        "prefix": device.prefix,
        "active": device.active,
        "registered_at": device.registered_at,
        "revoked_at": device.revoked_at,
        "last_seen_at": device.last_seen_at,
    }


@router.post(
    "/residents/{resident_id}/devices",
    response={201: DeviceIssuedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def register_device(request: HttpRequest, resident_id: str, payload: DeviceIn) -> Status[Any]:
    """Register a device to the resident; the response carries its token, shown only once."""
    user = current_user(request)
    resident = get_resident_for(user, resident_id, purpose="register_device")
    issued = services.register_device(
        actor=user, resident=resident, kind=payload.kind, serial=payload.serial,
        label=payload.label,
    )  # fmt: skip
    return Status(201, {**device_out(issued.device), "token": issued.key})


@router.get("/residents/{resident_id}/devices", response={200: list[DeviceOut], 404: ErrorOut})
def list_devices(request: HttpRequest, resident_id: str) -> list[dict[str, Any]]:
    devices = selectors.devices_for(current_user(request), resident_id).select_related("resident")
    return [device_out(d) for d in devices]


@router.delete("/devices/{device_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def revoke_device(request: HttpRequest, device_id: str) -> Status[None]:
    """Revoke the device: its token stops working at once."""
    user = current_user(request)
    device = selectors.get_device_for(user, device_id)
    services.revoke_device(actor=user, device=device)
    return Status(204, None)
