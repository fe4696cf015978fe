"""Patient ↔ ``residents.Resident``.

``Patient.id`` is the resident's public id (the id of ``/api/v1/residents/{id}``). Reads and
searches go through ``residents.selectors`` (same scope as the native API; staff reads are
audited), writes through ``residents.services``. Sex and birth date come from the ID number;
a ``gender`` or ``birthDate`` that contradicts it is refused. Elements with no CareLoop
counterpart (maritalStatus, contact, …) are not stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from fhir.resources.R4B.patient import Patient

from careloop.core import audit, crypto
from careloop.core.errors import DomainError
from careloop.core.models import Community
from careloop.core.validators import normalise_id_number, normalise_mobile, parse_id_number
from careloop.fhir.context import FhirContext
from careloop.fhir.names import full_name, human_name
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.search import date_q, parse_token, string_q
from careloop.residents import selectors, services
from careloop.residents.models import Resident, Sex

# Chinese resident identity card number (公民身份号码), GB 11643.
ID_SYSTEM = "urn:oid:2.16.156.10011.1.1"
COMMUNITY_SYSTEM = "urn:careloop:community"
GENDERS = {Sex.MALE: "male", Sex.FEMALE: "female"}
SEXES = {gender: sex for sex, gender in GENDERS.items()}
SPEC = "http://hl7.org/fhir/SearchParameter/"


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _identifier_q(value: str, modifier: str | None) -> Q:
    system, code = parse_token(value)
    if system not in (None, "", ID_SYSTEM) or not code:
        return Q(pk__in=[])
    return Q(id_number_hash=crypto.blind_index(normalise_id_number(code), purpose="id_number"))


def _name_q(value: str, modifier: str | None) -> Q:
    return string_q("name", value, modifier)


def _birthdate_q(value: str, modifier: str | None) -> Q:
    return date_q("birth_date", value)


def _gender_q(value: str, modifier: str | None) -> Q:
    _system, code = parse_token(value)
    sex = SEXES.get(code)
    return Q(sex=sex) if sex else Q(pk__in=[])


def _phone_q(value: str, modifier: str | None) -> Q:
    _system, code = parse_token(value)
    phone = normalise_mobile(code)
    return Q(phone_hash=crypto.blind_index(phone, purpose="phone")) if phone else Q(pk__in=[])


@register
class PatientResource(ResourceHandler[Resident]):
    resource_type = "Patient"
    model = Patient
    documentation = (
        "A resident (健康档案). Patient.id is the native API's resident id. Identifier system "
        f"{ID_SYSTEM} is the resident ID number; gender and birthDate follow from it. "
        f"managingOrganization.identifier (system {COMMUNITY_SYSTEM}) is the community code."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Patient.id", SPEC + "Resource-id"),
        SearchParam(
            "identifier",
            "token",
            _identifier_q,
            f"Exact resident ID number ({ID_SYSTEM}|number).",
            SPEC + "Patient-identifier",
        ),
        SearchParam(
            "name",
            "string",
            _name_q,
            "Part of the full name (contains); :exact for the whole name.",
            SPEC + "individual-given",
            modifiers=frozenset({"contains", "exact"}),
        ),
        SearchParam(
            "birthdate",
            "date",
            _birthdate_q,
            "Birth date; eq ne gt lt ge le prefixes.",
            SPEC + "individual-birthdate",
        ),
        SearchParam("gender", "token", _gender_q, "male or female.", SPEC + "individual-gender"),
        SearchParam("phone", "token", _phone_q, "Exact mobile number.", SPEC + "individual-phone"),
    )
    field_paths = {
        "name": "Patient.name",
        "id_number": "Patient.identifier",
        "gender": "Patient.gender",
        "birth_date": "Patient.birthDate",
        "phone": "Patient.telecom",
        "address": "Patient.address",
        "community": "Patient.managingOrganization",
    }

    # ---- reads ----------------------------------------------------------------------------

    def read(self, ctx: FhirContext, resource_id: str) -> Resident:
        return selectors.get_resident_for(ctx.user, resource_id, purpose="fhir.read")

    def search(self, ctx: FhirContext) -> QuerySet[Resident]:
        return selectors.residents_visible_to(ctx.user)

    def disclosed(self, ctx: FhirContext, objs: Sequence[Resident], purpose: str) -> None:
        """Staff reads are audited, one event per resident, as ``get_resident_for`` does."""
        for resident in objs:
            if resident.user_id != ctx.user.pk:
                audit.record(
                    actor=ctx.user,
                    action="careloop.resident.viewed",
                    obj=resident,
                    detail={"purpose": purpose},
                )

    # ---- writes ---------------------------------------------------------------------------

    def create(self, ctx: FhirContext, resource: Patient) -> Resident:
        data = self.from_fhir(ctx, resource)
        community = data.pop("community") or ctx.user.community
        if community is None:
            raise _invalid(
                "community",
                _("Name the community in managingOrganization.identifier (system %(system)s).")
                % {"system": COMMUNITY_SYSTEM},
            )
        return services.register_resident(actor=ctx.user, community=community, **data)

    def update(self, ctx: FhirContext, resource_id: str, resource: Patient) -> Resident:
        resident = selectors.get_resident_for(ctx.user, resource_id, purpose="fhir.update")
        data = self.from_fhir(ctx, resource)
        community = data.pop("community")
        if community is not None and community.pk != resident.community_id:
            raise _invalid("community", _("A resident's community cannot be changed here."))
        current = {
            "id_number": resident.id_number,
            "name": resident.name,
            "phone": resident.phone,
            "address": resident.address,
        }
        changes = {name: value for name, value in data.items() if current[name] != value}
        # A PUT that changes nothing still answers 200 with the record.
        return services.update_resident(actor=ctx.user, resident=resident, changes=changes)

    # ---- mapping --------------------------------------------------------------------------

    def to_fhir(self, ctx: FhirContext, obj: Resident) -> Patient:
        data: dict[str, Any] = {
            "resourceType": "Patient",
            "id": obj.public_id,
            "meta": {"lastUpdated": obj.updated_at},
            "identifier": [{"use": "official", "system": ID_SYSTEM, "value": obj.id_number}],
            "active": True,
            "name": [human_name(obj.name)],
            "gender": GENDERS.get(Sex(obj.sex), "unknown"),
            "birthDate": obj.birth_date,
            "managingOrganization": {
                "identifier": {"system": COMMUNITY_SYSTEM, "value": obj.community.code},
                "display": obj.community.name,
            },
        }
        if obj.phone:
            data["telecom"] = [{"system": "phone", "value": obj.phone, "use": "mobile"}]
        if obj.address:
            data["address"] = [{"use": "home", "text": obj.address}]
        return Patient.model_validate(data)

    def from_fhir(self, ctx: FhirContext, resource: Patient) -> dict[str, Any]:
        """``name``, ``id_number``, ``phone``, ``address`` and ``community`` (or None)."""
        errors: dict[str, list[str]] = {}
        numbers = {
            normalise_id_number(identifier.value or "")
            for identifier in resource.identifier or []
            if identifier.system == ID_SYSTEM
        }
        if not numbers:
            errors.setdefault("id_number", []).append(
                _("Add the resident ID number as an identifier with system %(system)s.")
                % {"system": ID_SYSTEM}
            )
        elif len(numbers) > 1:
            errors.setdefault("id_number", []).append(_("Give only one resident ID number."))
        id_number = min(numbers) if numbers else ""
        if len(numbers) == 1:
            _check_derived(resource, id_number, errors)
        names = resource.name or []
        official = next((n for n in names if n.use == "official"), names[0] if names else None)
        community = None
        organization = resource.managingOrganization
        if organization is not None and organization.identifier is not None:
            identifier = organization.identifier
            community = (
                Community.objects.filter(code=identifier.value or "").first()
                if identifier.system == COMMUNITY_SYSTEM
                else None
            )
            if community is None:
                errors.setdefault("community", []).append(_("No community has this code."))
        if errors:
            raise DomainError("fhir.invalid", _("Please correct the marked fields."), fields=errors)
        return {
            "name": full_name(official) if official is not None else "",
            "id_number": id_number,
            "phone": _phone(resource),
            "address": _address(resource),
            "community": community,
        }


def _check_derived(resource: Patient, id_number: str, errors: dict[str, list[str]]) -> None:
    """``gender`` and ``birthDate``, when sent, must agree with the ID number."""
    try:
        info = parse_id_number(id_number)
    except ValidationError:  # the service reports a bad number with its reason
        return
    if resource.gender in SEXES and SEXES[resource.gender] != info.sex:
        errors.setdefault("gender", []).append(_("The gender does not match the ID number."))
    if resource.birthDate is not None and resource.birthDate != info.birth_date:
        errors.setdefault("birth_date", []).append(
            _("The birth date does not match the ID number.")
        )


def _phone(resource: Patient) -> str:
    phones = [t for t in resource.telecom or [] if t.system in {"phone", "sms"} and t.value]
    chosen = next((t for t in phones if t.use == "mobile"), phones[0] if phones else None)
    return normalise_mobile(chosen.value) if chosen is not None and chosen.value else ""


def _address(resource: Patient) -> str:
    addresses = resource.address or []
    if not addresses:
        return ""
    address = next((a for a in addresses if a.use == "home"), addresses[0])
    if address.text:
        return address.text.strip()
    parts = [address.state, address.city, address.district, *(address.line or [])]
    return "".join(part.strip() for part in parts if part)


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(
        "fhir.invalid", _("Please correct the marked fields."), fields={field: [message]}
    )
