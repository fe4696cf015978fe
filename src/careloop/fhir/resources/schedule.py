"""Schedule ↔ ``catalogue.WeeklySchedule``: a provider's recurring weekly session at a site.

``actor`` is the Practitioner and the site's Organization; ``serviceType`` the services of
the session (all the provider offers when the schedule names none); ``planningHorizon`` the
dates it is valid for; ``comment`` the weekday, hours, slot length and places. Its slots are
``Slot?schedule=Schedule/<id>``. Reads and searches are for any signed-in user.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from fhir.resources.R4B.schedule import Schedule

from careloop.catalogue.models import DeliveryMode, Service, WeeklySchedule
from careloop.catalogue.permissions import can_read_catalogue
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.healthcareservice import (
    SERVICE_SYSTEM,
    SPEC,
    reference_id,
    service_concept,
    token_code,
)
from careloop.fhir.resources.organization import organization_reference
from careloop.fhir.resources.practitioner import practitioner_reference
from careloop.fhir.search import date_q


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _actor_q(value: str, modifier: str | None) -> Q:
    practitioner = reference_id(value, "Practitioner")
    organization = reference_id(value, "Organization")
    condition = Q(pk__in=[])
    if practitioner:
        condition |= Q(provider__public_id=practitioner)
    if organization:
        condition |= Q(organisation__public_id=organization)
    return condition


def _service_type_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, SERVICE_SYSTEM)
    if not code:
        return Q(pk__in=[])
    through = WeeklySchedule.services.through
    named = through.objects.filter(service__code=code).values("weeklyschedule_id")
    offered = Service.providers.through.objects.filter(service__code=code).values("provider_id")
    # A schedule naming no services offers every service of its provider.
    return Q(pk__in=named) | (
        ~Q(pk__in=through.objects.values("weeklyschedule_id")) & Q(provider__in=offered)
    )


def _active_q(value: str, modifier: str | None) -> Q:
    return Q(active=value == "true")


def _date_q(value: str, modifier: str | None) -> Q:
    """Schedules valid on (or around) a date: ``date=2026-12-01`` → valid that day."""
    prefix = value[:2] if value[:2] in {"eq", "ne", "gt", "lt", "ge", "le"} else ""
    if prefix in {"", "eq"}:
        inside_start = date_q("valid_from", "le" + value[len(prefix) :])
        open_or_after = Q(valid_to__isnull=True) | date_q("valid_to", "ge" + value[len(prefix) :])
        return inside_start & open_or_after
    return date_q("valid_from", value)


@register
class ScheduleResource(ResourceHandler[WeeklySchedule]):
    resource_type = "Schedule"
    model = Schedule
    documentation = (
        "A provider's recurring weekly session. actor: the Practitioner and the site "
        f"Organization; serviceType codes ({SERVICE_SYSTEM}); planningHorizon: validity dates."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Schedule.id", SPEC + "Resource-id"),
        SearchParam(
            "actor",
            "reference",
            _actor_q,
            "Practitioner/<id> or Organization/<id> (the site).",
            SPEC + "Schedule-actor",
        ),
        SearchParam(
            "service-type",
            "token",
            _service_type_q,
            f"A service code ({SERVICE_SYSTEM}).",
            SPEC + "Schedule-service-type",
        ),
        SearchParam(
            "date",
            "date",
            _date_q,
            "Valid on this date (eq); other prefixes compare the first valid day.",
            SPEC + "Schedule-date",
        ),
        SearchParam("active", "token", _active_q, "true or false.", SPEC + "Schedule-active"),
    )

    def read(self, ctx: FhirContext, resource_id: str) -> WeeklySchedule:
        schedule = self.search(ctx).filter(public_id=resource_id).first()
        if schedule is None:
            raise not_found(self.resource_type, resource_id)
        return schedule

    def search(self, ctx: FhirContext) -> QuerySet[WeeklySchedule]:
        if not can_read_catalogue(ctx.user):
            return WeeklySchedule.objects.none()
        return WeeklySchedule.objects.select_related("provider", "organisation").prefetch_related(
            "services", "provider__services"
        )

    def to_fhir(self, ctx: FhirContext, obj: WeeklySchedule) -> Schedule:
        offered = list(obj.services.all()) or list(obj.provider.services.all())
        offered.sort(key=lambda service: (service.sort_order, service.code))
        horizon: dict[str, Any] = {"start": obj.valid_from.isoformat()}
        if obj.valid_to is not None:
            horizon["end"] = obj.valid_to.isoformat()
        mode = str(DeliveryMode(obj.mode).label)
        comment = (
            f"{obj.get_weekday_display()} {obj.start_time:%H:%M}–{obj.end_time:%H:%M}, "
            f"{obj.slot_minutes} min × {obj.capacity} ({mode})"
        )
        if obj.location:
            comment += f", {obj.location}"
        data: dict[str, Any] = {
            "resourceType": "Schedule",
            "id": obj.public_id,
            "active": obj.active,
            "actor": [
                practitioner_reference(obj.provider),
                organization_reference(obj.organisation),
            ],
            "planningHorizon": horizon,
            "comment": comment,
        }
        if offered:
            data["serviceType"] = [service_concept(service) for service in offered]
        return Schedule.model_validate(data)
