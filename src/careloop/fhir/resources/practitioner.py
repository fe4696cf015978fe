"""Practitioner ↔ ``catalogue.Provider`` (practitioners, health managers and volunteers).

``Practitioner.id`` is the provider's public id (as in ``/api/v1/catalogue/providers``); the
name is a Chinese HumanName as for Patient; skills are ``qualification`` codes and spoken
languages and dialects ``communication``. Where and as what a provider works is the
PractitionerRole with the same id. Reads and searches are for any signed-in user.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from fhir.resources.R4B.practitioner import Practitioner

from careloop.catalogue import selectors
from careloop.catalogue.models import Provider, ProviderSex
from careloop.fhir.context import FhirContext
from careloop.fhir.names import human_name
from careloop.fhir.outcome import not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.healthcareservice import (
    LANGUAGE_SYSTEM,
    SKILL_SYSTEM,
    SPEC,
    concept,
    token_code,
)
from careloop.fhir.search import parse_token, string_q

GENDERS = {ProviderSex.MALE: "male", ProviderSex.FEMALE: "female"}
SEXES = {gender: sex for sex, gender in GENDERS.items()}


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _name_q(value: str, modifier: str | None) -> Q:
    return string_q("name", value, modifier)


def _gender_q(value: str, modifier: str | None) -> Q:
    _system, code = parse_token(value)
    sex = SEXES.get(code)
    return Q(sex=sex) if sex else Q(pk__in=[])


def _qualification_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, SKILL_SYSTEM)
    if not code:
        return Q(pk__in=[])
    return Q(pk__in=Provider.skills.through.objects.filter(skill__code=code).values("provider_id"))


def _active_q(value: str, modifier: str | None) -> Q:
    return Q(active=value == "true")


def practitioner_reference(provider: Provider) -> dict[str, Any]:
    return {"reference": f"Practitioner/{provider.public_id}", "display": provider.name}


@register
class PractitionerResource(ResourceHandler[Provider]):
    resource_type = "Practitioner"
    model = Practitioner
    documentation = (
        "A person of the provider network (practitioner, health manager or volunteer). "
        f"Practitioner.id is the native API's provider id; qualification codes ({SKILL_SYSTEM}) "
        "are skills."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Practitioner.id", SPEC + "Resource-id"),
        SearchParam(
            "name",
            "string",
            _name_q,
            "Part of the full name (contains); :exact for the whole name.",
            SPEC + "Practitioner-name",
            modifiers=frozenset({"contains", "exact"}),
        ),
        SearchParam("gender", "token", _gender_q, "male or female.", SPEC + "individual-gender"),
        SearchParam(
            "qualification",
            "token",
            _qualification_q,
            f"A skill code ({SKILL_SYSTEM}).",
        ),
        SearchParam("active", "token", _active_q, "true or false.", SPEC + "Practitioner-active"),
    )

    def read(self, ctx: FhirContext, resource_id: str) -> Provider:
        provider = self.search(ctx).filter(public_id=resource_id).first()
        if provider is None:
            raise not_found(self.resource_type, resource_id)
        return provider

    def search(self, ctx: FhirContext) -> QuerySet[Provider]:
        return selectors.providers_visible_to(ctx.user)

    def to_fhir(self, ctx: FhirContext, obj: Provider) -> Practitioner:
        skills = sorted(obj.skills.all(), key=lambda skill: skill.code)
        languages = sorted(obj.languages.all(), key=lambda language: language.code)
        data: dict[str, Any] = {
            "resourceType": "Practitioner",
            "id": obj.public_id,
            "active": obj.active,
            "name": [human_name(obj.name)],
            "gender": GENDERS.get(ProviderSex(obj.sex), "unknown"),
        }
        if skills:
            data["qualification"] = [
                {"code": concept(SKILL_SYSTEM, skill.code, skill.name_zh)} for skill in skills
            ]
        if languages:
            data["communication"] = [
                concept(LANGUAGE_SYSTEM, language.code, language.name_zh) for language in languages
            ]
        return Practitioner.model_validate(data)
