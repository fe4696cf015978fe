"""Slot ↔ ``catalogue.Slot``.

``status`` is ``free`` while the slot is open with a place left, ``busy`` when every place is
booked and ``busy-unavailable`` when it is closed (leave, an ended schedule). ``serviceType``
codes are service codes; ``schedule`` the weekly Schedule it was generated from (a slot made
by hand refers to its provider by display only). The typical search is
``Slot?service-type=<code>&status=free&start=ge2026-12-01&start=lt2026-12-08``. Reads and
searches are for any signed-in user; booking is through the native API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from fhir.resources.R4B.slot import Slot as FhirSlot

from careloop.catalogue.models import DeliveryMode, Slot, SlotStatus
from careloop.catalogue.permissions import can_read_catalogue
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.healthcareservice import (
    MODE_SYSTEM,
    SERVICE_SYSTEM,
    SPEC,
    concept,
    reference_id,
    service_concept,
    token_code,
)
from careloop.fhir.search import date_q, parse_token

FREE, BUSY, UNAVAILABLE = "free", "busy", "busy-unavailable"


def status_of(slot: Slot) -> str:
    if slot.status != SlotStatus.OPEN:
        return UNAVAILABLE
    return FREE if slot.booked_count < slot.capacity else BUSY


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _service_type_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, SERVICE_SYSTEM)
    if not code:
        return Q(pk__in=[])
    return Q(pk__in=Slot.services.through.objects.filter(service__code=code).values("slot_id"))


def _status_q(value: str, modifier: str | None) -> Q:
    _system, code = parse_token(value)
    if code == FREE:
        return Q(status=SlotStatus.OPEN, booked_count__lt=F("capacity"))
    if code == BUSY:
        return Q(status=SlotStatus.OPEN, booked_count__gte=F("capacity"))
    if code == UNAVAILABLE:
        return Q(status=SlotStatus.CLOSED)
    return Q(pk__in=[])


def _start_q(value: str, modifier: str | None) -> Q:
    return date_q("start", value, datetime_field=True)


def _schedule_q(value: str, modifier: str | None) -> Q:
    return Q(schedule__public_id=reference_id(value, "Schedule") or None)


def _practitioner_q(value: str, modifier: str | None) -> Q:
    """Not a standard Slot parameter: the provider's slots, with or without a schedule."""
    return Q(provider__public_id=reference_id(value, "Practitioner") or None)


def _appointment_type_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, MODE_SYSTEM)
    return Q(mode=code) if code else Q(pk__in=[])


@register
class SlotResource(ResourceHandler[Slot]):
    resource_type = "Slot"
    model = FhirSlot
    documentation = (
        "A bookable time of a provider. status: free (open, a place left), busy (full) or "
        f"busy-unavailable (closed). serviceType codes ({SERVICE_SYSTEM}); appointmentType: "
        f"the delivery mode ({MODE_SYSTEM}). Book through POST /api/v1/catalogue/slots/<id>/"
        "bookings."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Slot.id", SPEC + "Resource-id"),
        SearchParam(
            "service-type",
            "token",
            _service_type_q,
            f"A service code ({SERVICE_SYSTEM}).",
            SPEC + "Slot-service-type",
        ),
        SearchParam(
            "status", "token", _status_q, "free, busy or busy-unavailable.", SPEC + "Slot-status"
        ),
        SearchParam(
            "start",
            "date",
            _start_q,
            "Start time; eq ne gt lt ge le prefixes; dates are in the server's time zone.",
            SPEC + "Slot-start",
        ),
        SearchParam("schedule", "reference", _schedule_q, "Schedule/<id>.", SPEC + "Slot-schedule"),
        SearchParam(
            "appointment-type",
            "token",
            _appointment_type_q,
            f"Delivery mode: home, clinic, online or group ({MODE_SYSTEM}).",
            SPEC + "Slot-appointment-type",
        ),
        SearchParam("practitioner", "reference", _practitioner_q, "Practitioner/<id> (CareLoop)."),
    )

    def read(self, ctx: FhirContext, resource_id: str) -> Slot:
        slot = self.search(ctx).filter(public_id=resource_id).first()
        if slot is None:
            raise not_found(self.resource_type, resource_id)
        return slot

    def search(self, ctx: FhirContext) -> QuerySet[Slot]:
        if not can_read_catalogue(ctx.user):
            return Slot.objects.none()
        return (
            Slot.objects.select_related("schedule", "provider", "organisation")
            .prefetch_related("services")
            .order_by("start", "provider_id")
        )

    def to_fhir(self, ctx: FhirContext, obj: Slot) -> FhirSlot:
        offered = sorted(obj.services.all(), key=lambda service: (service.sort_order, service.code))
        if obj.schedule is not None:
            schedule = {"reference": f"Schedule/{obj.schedule.public_id}"}
        else:
            schedule = {"display": f"{obj.provider.name} · {obj.organisation.name_zh}"}
        places = obj.capacity - obj.booked_count
        comment = f"{obj.provider.name}, {obj.organisation.name_zh}"
        if obj.location:
            comment += f", {obj.location}"
        comment += f" ({max(places, 0)}/{obj.capacity})"
        data: dict[str, Any] = {
            "resourceType": "Slot",
            "id": obj.public_id,
            "schedule": schedule,
            "status": status_of(obj),
            "start": obj.start,
            "end": obj.end,
            "appointmentType": concept(MODE_SYSTEM, obj.mode, str(DeliveryMode(obj.mode).label)),
            "overbooked": obj.booked_count > obj.capacity,
            "comment": comment,
        }
        if offered:
            data["serviceType"] = [service_concept(service) for service in offered]
        return FhirSlot.model_validate(data)
