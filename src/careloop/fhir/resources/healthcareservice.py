"""HealthcareService ↔ ``catalogue.Service``, and the CareLoop code systems the supply-side
resources (Organization, Practitioner, PractitionerRole, Schedule, Slot) share.

``HealthcareService.id`` is the service code with ``_`` written as ``-`` (FHIR ids allow no
underscore; codes have no hyphen, so the mapping is reversible); the code itself is the
identifier (system ``SERVICE_SYSTEM``). ``name`` is the Chinese name, with the English name
as a translation extension on it; the tier is a ``program``, delivery modes are
``characteristic`` codings and the eligibility rules are summarised in ``eligibility``.
Reads and searches are for any signed-in user: the catalogue is not personal data.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from fhir.resources.R4B.healthcareservice import HealthcareService

from careloop.catalogue import selectors
from careloop.catalogue.models import Category, DeliveryMode, Service, Tier
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.search import parse_token, string_q

# ---- CareLoop code systems: the one place their URLs are spelt ------------------------------

CODE_SYSTEM_BASE = "https://careloop.example/fhir/CodeSystem/"
SERVICE_SYSTEM = CODE_SYSTEM_BASE + "service"  # service codes (basic.chronic_refill …)
CATEGORY_SYSTEM = CODE_SYSTEM_BASE + "service-category"
TIER_SYSTEM = CODE_SYSTEM_BASE + "service-tier"
PROGRAM_SYSTEM = CODE_SYSTEM_BASE + "service-program"  # public-health basic service flag
MODE_SYSTEM = CODE_SYSTEM_BASE + "delivery-mode"
TAG_SYSTEM = CODE_SYSTEM_BASE + "resident-tag"
SKILL_SYSTEM = CODE_SYSTEM_BASE + "skill"
ORGANISATION_KIND_SYSTEM = CODE_SYSTEM_BASE + "organisation-kind"
PROVIDER_KIND_SYSTEM = CODE_SYSTEM_BASE + "provider-kind"
LANGUAGE_SYSTEM = CODE_SYSTEM_BASE + "language"
ORGANISATION_ID_SYSTEM = "urn:careloop:organisation"  # Organization.identifier: its code
TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"
SPEC = "http://hl7.org/fhir/SearchParameter/"
PUBLIC_HEALTH_BASIC = "public_health_basic"


def coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(system: str, code: str, display: str = "") -> dict[str, Any]:
    return {"coding": [coding(system, code, display)], **({"text": display} if display else {})}


def translated(english: str) -> dict[str, Any] | None:
    """The ``_name``-style primitive extension carrying an English translation."""
    if not english:
        return None
    return {
        "extension": [
            {
                "url": TRANSLATION_URL,
                "extension": [
                    {"url": "lang", "valueCode": "en"},
                    {"url": "content", "valueString": english},
                ],
            }
        ]
    }


def token_code(value: str, system: str) -> str | None:
    """The code of a token search value if its system is ours or absent, else None."""
    given, code = parse_token(value)
    if given not in (None, "", system) or not code:
        return None
    return code


def reference_id(value: str, resource_type: str) -> str:
    """``Type/id``, an absolute URL ending so, or a bare id → the id ("" for another type)."""
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        return parts[0]
    return parts[-1] if parts[-2] == resource_type else ""


def related_q(through: type[Model], owner: str, **lookup: Any) -> Q:
    """``pk IN (the owners of matching many-to-many rows)``: no duplicate rows from the join."""
    return Q(pk__in=through._default_manager.filter(**lookup).values(f"{owner}_id"))


def service_id(code: str) -> str:
    return code.replace("_", "-")


def service_code(resource_id: str) -> str:
    return resource_id.replace("-", "_")


def service_reference(service: Service) -> dict[str, Any]:
    return {
        "reference": f"HealthcareService/{service_id(service.code)}",
        "display": service.name_zh,
    }


def service_concept(service: Service) -> dict[str, Any]:
    return concept(SERVICE_SYSTEM, service.code, service.name_zh)


# ---- HealthcareService ---------------------------------------------------------------------


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(code=service_code(value))


def _identifier_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, SERVICE_SYSTEM)
    return Q(code=code) if code else Q(pk__in=[])


def _name_q(value: str, modifier: str | None) -> Q:
    return string_q("name_zh", value, modifier) | string_q("name_en", value, modifier)


def _category_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, CATEGORY_SYSTEM)
    return Q(category=code) if code else Q(pk__in=[])


def _type_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, SERVICE_SYSTEM)
    return Q(code=code) if code else Q(pk__in=[])


def _program_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, TIER_SYSTEM)
    return Q(tier=code) if code else Q(pk__in=[])


def _characteristic_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, MODE_SYSTEM)
    if not code:
        return Q(pk__in=[])
    return Q(pk__in=Service.objects.filter(delivery_modes__mode=code).values("pk"))


def _active_q(value: str, modifier: str | None) -> Q:
    return Q(active=value == "true")


def eligibility_text(obj: Any) -> str:
    """The eligibility rules of a service (or package) in words; "" when open to everyone."""
    parts: list[str] = []
    if obj.min_age is not None and obj.max_age is not None:
        parts.append(_("Aged %(min)s to %(max)s") % {"min": obj.min_age, "max": obj.max_age})
    elif obj.min_age is not None:
        parts.append(_("Aged %(min)s or over") % {"min": obj.min_age})
    elif obj.max_age is not None:
        parts.append(_("Aged %(max)s or under") % {"max": obj.max_age})
    if obj.sex == "F":
        parts.append(_("Women only"))
    elif obj.sex == "M":
        parts.append(_("Men only"))
    tags = sorted(obj.required_tags.all(), key=lambda tag: tag.code)
    if tags:
        names = "、".join(tag.name for tag in tags)
        parts.append(_("Requires: %(tags)s") % {"tags": names})
    return "; ".join(parts)


@register
class HealthcareServiceResource(ResourceHandler[Service]):
    resource_type = "HealthcareService"
    model = HealthcareService
    documentation = (
        "A service of the CareLoop catalogue. HealthcareService.id is the service code with "
        f"'_' written as '-'; identifier (system {SERVICE_SYSTEM}) is the code itself. "
        f"category: {CATEGORY_SYSTEM}; program: tier ({TIER_SYSTEM}); characteristic: "
        f"delivery modes ({MODE_SYSTEM})."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "HealthcareService.id", SPEC + "Resource-id"),
        SearchParam(
            "identifier",
            "token",
            _identifier_q,
            f"The service code ({SERVICE_SYSTEM}|code).",
            SPEC + "HealthcareService-identifier",
        ),
        SearchParam(
            "name",
            "string",
            _name_q,
            "Part of the Chinese or English name; :exact for the whole name.",
            SPEC + "HealthcareService-name",
            modifiers=frozenset({"contains", "exact"}),
        ),
        SearchParam(
            "service-category",
            "token",
            _category_q,
            f"Category code ({CATEGORY_SYSTEM}).",
            SPEC + "HealthcareService-service-category",
        ),
        SearchParam(
            "service-type",
            "token",
            _type_q,
            f"Service code ({SERVICE_SYSTEM}).",
            SPEC + "HealthcareService-service-type",
        ),
        SearchParam(
            "program",
            "token",
            _program_q,
            f"Tier: basic, maintenance or development ({TIER_SYSTEM}).",
            SPEC + "HealthcareService-program",
        ),
        SearchParam(
            "characteristic",
            "token",
            _characteristic_q,
            f"Delivery mode: home, clinic, online or group ({MODE_SYSTEM}).",
            SPEC + "HealthcareService-characteristic",
        ),
        SearchParam(
            "active", "token", _active_q, "true or false.", SPEC + "HealthcareService-active"
        ),
    )

    def read(self, ctx: FhirContext, resource_id: str) -> Service:
        service = self.search(ctx).filter(code=service_code(resource_id)).first()
        if service is None:
            raise not_found(self.resource_type, resource_id)
        return service

    def search(self, ctx: FhirContext) -> QuerySet[Service]:
        return selectors.browse_services(ctx.user, include_inactive=True)

    def logical_id(self, obj: Service) -> str:
        return service_id(obj.code)

    def to_fhir(self, ctx: FhirContext, obj: Service) -> HealthcareService:
        modes = dict(DeliveryMode.choices)
        program = [concept(TIER_SYSTEM, obj.tier, str(Tier(obj.tier).label))]
        if obj.is_public_health_basic:
            program.append(
                concept(PROGRAM_SYSTEM, PUBLIC_HEALTH_BASIC, _("Basic public-health service"))
            )
        data: dict[str, Any] = {
            "resourceType": "HealthcareService",
            "id": service_id(obj.code),
            "identifier": [{"use": "official", "system": SERVICE_SYSTEM, "value": obj.code}],
            "active": obj.active,
            "category": [concept(CATEGORY_SYSTEM, obj.category, str(Category(obj.category).label))],
            "type": [service_concept(obj)],
            "name": obj.name_zh,
            "program": program,
            "characteristic": [concept(MODE_SYSTEM, m, str(modes[m])) for m in obj.modes],
            "appointmentRequired": True,
        }
        if (name_ext := translated(obj.name_en)) is not None:
            data["_name"] = name_ext
        if obj.description_zh:
            data["extraDetails"] = obj.description_zh
        rules = eligibility_text(obj)
        tags = sorted(obj.required_tags.all(), key=lambda tag: tag.code)
        if rules:
            eligibility: dict[str, Any] = {"comment": rules}
            if tags:
                eligibility["code"] = {
                    "coding": [coding(TAG_SYSTEM, tag.code, tag.name_zh) for tag in tags]
                }
            data["eligibility"] = [eligibility]
        return HealthcareService.model_validate(data)
