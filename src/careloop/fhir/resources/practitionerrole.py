"""PractitionerRole ↔ ``catalogue.Provider``: the provider at their organisation.

A provider works for one organisation, so the role has the provider's id (the same id as the
Practitioner). ``code`` is the provider kind, ``specialty`` the skills and
``healthcareService`` the services the provider offers. Reads and searches are for any
signed-in user.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from fhir.resources.R4B.practitionerrole import PractitionerRole

from careloop.catalogue import selectors
from careloop.catalogue.models import Provider, ProviderKind
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.healthcareservice import (
    PROVIDER_KIND_SYSTEM,
    SKILL_SYSTEM,
    SPEC,
    concept,
    reference_id,
    service_code,
    service_reference,
    token_code,
)
from careloop.fhir.resources.organization import organization_reference
from careloop.fhir.resources.practitioner import practitioner_reference


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _practitioner_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=reference_id(value, "Practitioner") or None)


def _organization_q(value: str, modifier: str | None) -> Q:
    return Q(organisation__public_id=reference_id(value, "Organization") or None)


def _service_q(value: str, modifier: str | None) -> Q:
    code = service_code(reference_id(value, "HealthcareService"))
    if not code:
        return Q(pk__in=[])
    through = Provider.services.through
    return Q(pk__in=through.objects.filter(service__code=code).values("provider_id"))


def _specialty_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, SKILL_SYSTEM)
    if not code:
        return Q(pk__in=[])
    return Q(pk__in=Provider.skills.through.objects.filter(skill__code=code).values("provider_id"))


def _role_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, PROVIDER_KIND_SYSTEM)
    return Q(kind=code) if code else Q(pk__in=[])


def _active_q(value: str, modifier: str | None) -> Q:
    return Q(active=value == "true")


@register
class PractitionerRoleResource(ResourceHandler[Provider]):
    resource_type = "PractitionerRole"
    model = PractitionerRole
    documentation = (
        "A provider at their organisation; the same id as the Practitioner. code: the kind "
        f"({PROVIDER_KIND_SYSTEM}); specialty: skills ({SKILL_SYSTEM}); healthcareService: the "
        "services offered."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "PractitionerRole.id", SPEC + "Resource-id"),
        SearchParam(
            "practitioner",
            "reference",
            _practitioner_q,
            "Practitioner/<id>.",
            SPEC + "PractitionerRole-practitioner",
        ),
        SearchParam(
            "organization",
            "reference",
            _organization_q,
            "Organization/<id>.",
            SPEC + "PractitionerRole-organization",
        ),
        SearchParam(
            "service",
            "reference",
            _service_q,
            "HealthcareService/<id>.",
            SPEC + "PractitionerRole-service",
        ),
        SearchParam(
            "specialty",
            "token",
            _specialty_q,
            f"A skill code ({SKILL_SYSTEM}).",
            SPEC + "PractitionerRole-specialty",
        ),
        SearchParam(
            "role",
            "token",
            _role_q,
            "practitioner, health_manager or volunteer.",
            SPEC + "PractitionerRole-role",
        ),
        SearchParam(
            "active", "token", _active_q, "true or false.", SPEC + "PractitionerRole-active"
        ),
    )

    def read(self, ctx: FhirContext, resource_id: str) -> Provider:
        provider = self.search(ctx).filter(public_id=resource_id).first()
        if provider is None:
            raise not_found(self.resource_type, resource_id)
        return provider

    def search(self, ctx: FhirContext) -> QuerySet[Provider]:
        return selectors.providers_visible_to(ctx.user)

    def to_fhir(self, ctx: FhirContext, obj: Provider) -> PractitionerRole:
        skills = sorted(obj.skills.all(), key=lambda skill: skill.code)
        offered = sorted(obj.services.all(), key=lambda service: service.code)
        kind = str(ProviderKind(obj.kind).label)
        code = concept(PROVIDER_KIND_SYSTEM, obj.kind, kind)
        if obj.title:
            code["text"] = obj.title
        data: dict[str, Any] = {
            "resourceType": "PractitionerRole",
            "id": obj.public_id,
            "active": obj.active and obj.organisation.active,
            "practitioner": practitioner_reference(obj),
            "organization": organization_reference(obj.organisation),
            "code": [code],
        }
        if skills:
            data["specialty"] = [concept(SKILL_SYSTEM, s.code, s.name_zh) for s in skills]
        if offered:
            data["healthcareService"] = [service_reference(service) for service in offered]
        return PractitionerRole.model_validate(data)
