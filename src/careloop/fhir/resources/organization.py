"""Organization ↔ ``catalogue.Organisation`` (the provider network: community centres,
hospitals of the medical alliance, third-party agencies, social organisations, volunteer
teams).

``Organization.id`` is the organisation's public id (as in ``/api/v1/catalogue``); its code is
the identifier (system ``ORGANISATION_ID_SYSTEM``) and its kind the ``type`` coding. Reads and
searches are for any signed-in user.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from fhir.resources.R4B.organization import Organization

from careloop.catalogue import selectors
from careloop.catalogue.models import Organisation, OrganisationKind
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.healthcareservice import (
    ORGANISATION_ID_SYSTEM,
    ORGANISATION_KIND_SYSTEM,
    SPEC,
    concept,
    token_code,
    translated,
)
from careloop.fhir.search import string_q


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _identifier_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, ORGANISATION_ID_SYSTEM)
    return Q(code=code) if code else Q(pk__in=[])


def _name_q(value: str, modifier: str | None) -> Q:
    return string_q("name_zh", value, modifier) | string_q("name_en", value, modifier)


def _type_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, ORGANISATION_KIND_SYSTEM)
    return Q(kind=code) if code else Q(pk__in=[])


def _active_q(value: str, modifier: str | None) -> Q:
    return Q(active=value == "true")


def organization_reference(organisation: Organisation) -> dict[str, Any]:
    return {"reference": f"Organization/{organisation.public_id}", "display": organisation.name_zh}


@register
class OrganizationResource(ResourceHandler[Organisation]):
    resource_type = "Organization"
    model = Organization
    documentation = (
        "An organisation of the provider network. Organization.id is the native API's id; "
        f"identifier (system {ORGANISATION_ID_SYSTEM}) is its code; type "
        f"({ORGANISATION_KIND_SYSTEM}) its kind."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Organization.id", SPEC + "Resource-id"),
        SearchParam(
            "identifier",
            "token",
            _identifier_q,
            f"The organisation code ({ORGANISATION_ID_SYSTEM}|code).",
            SPEC + "Organization-identifier",
        ),
        SearchParam(
            "name",
            "string",
            _name_q,
            "Part of the Chinese or English name; :exact for the whole name.",
            SPEC + "Organization-name",
            modifiers=frozenset({"contains", "exact"}),
        ),
        SearchParam(
            "type",
            "token",
            _type_q,
            "community_centre, hospital, third_party, social_org or volunteer_team.",
            SPEC + "Organization-type",
        ),
        SearchParam("active", "token", _active_q, "true or false.", SPEC + "Organization-active"),
    )

    def read(self, ctx: FhirContext, resource_id: str) -> Organisation:
        organisation = self.search(ctx).filter(public_id=resource_id).first()
        if organisation is None:
            raise not_found(self.resource_type, resource_id)
        return organisation

    def search(self, ctx: FhirContext) -> QuerySet[Organisation]:
        return selectors.organisations_visible_to(ctx.user)

    def to_fhir(self, ctx: FhirContext, obj: Organisation) -> Organization:
        kind = str(OrganisationKind(obj.kind).label)
        data: dict[str, Any] = {
            "resourceType": "Organization",
            "id": obj.public_id,
            "identifier": [
                {"use": "official", "system": ORGANISATION_ID_SYSTEM, "value": obj.code}
            ],
            "active": obj.active,
            "type": [concept(ORGANISATION_KIND_SYSTEM, obj.kind, kind)],
            "name": obj.name_zh,
        }
        if (name_ext := translated(obj.name_en)) is not None:
            data["_name"] = name_ext
        if obj.name_en:
            data["alias"] = [obj.name_en]
        if obj.phone:
            data["telecom"] = [{"system": "phone", "value": obj.phone, "use": "work"}]
        if obj.address:
            data["address"] = [{"use": "work", "text": obj.address}]
        return Organization.model_validate(data)
