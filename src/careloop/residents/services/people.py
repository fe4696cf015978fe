"""Every write to residents, households, guardians and contracts. Each function is atomic
and writes its audit event in the same transaction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock, crypto
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import Community, User
from careloop.core.roles import CARE_TEAM_ROLES, Role
from careloop.core.validators import normalise_mobile, parse_id_number, validate_mobile
from careloop.residents.models import (
    CareContract,
    CareTeam,
    ContractStatus,
    Disability,
    GuardianLink,
    GuardianRelation,
    Household,
    Resident,
)
from careloop.residents.services.tags import refresh_tags

# Staff who may register and edit residents (auditors read only).
EDITOR_ROLES = (*CARE_TEAM_ROLES, Role.CENTRE_DIRECTOR, Role.SYSTEM_ADMIN)
# Fields a resident may change on their own record.
SELF_EDITABLE = frozenset({"phone", "address"})
# Record fields that feed the derived profile tags.
PROFILE_FIELDS = frozenset({"living_alone", "disability"})
STAFF_EDITABLE = frozenset(
    {"name", "phone", "address", "occupation", "living_alone", "disability", "household"}
)


@dataclass(frozen=True)
class FieldErrors:
    errors: dict[str, list[str]]

    def add(self, name: str, message: Any) -> None:
        self.errors.setdefault(name, []).append(message)


def _require_editor(actor: User, community: Community) -> None:
    if actor.is_superuser:
        return
    if not actor.has_role(*EDITOR_ROLES) or actor.community_id != community.pk:
        raise ForbiddenError("residents.forbidden", _("You may not register residents here."))


def _clean(data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """Validate and normalise resident fields present in ``data``."""
    cleaned: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors.add("name", _("Enter the resident's name."))
        elif len(name) > 50:
            errors.add("name", _("A name has at most 50 characters."))
        cleaned["name"] = name
    if "id_number" in data:
        try:
            info = parse_id_number(str(data["id_number"] or ""), today=clock.today())
        except ValidationError as exc:
            errors.add("id_number", exc.messages[0])
        else:
            cleaned.update(id_number=info.number, birth_date=info.birth_date, sex=info.sex)
    if "phone" in data:
        phone = normalise_mobile(str(data["phone"] or ""))
        if phone:
            try:
                validate_mobile(phone)
            except ValidationError as exc:
                errors.add("phone", exc.messages[0])
        cleaned["phone"] = phone
    if "address" in data:
        address = str(data["address"] or "").strip()
        if len(address) > 200:
            errors.add("address", _("An address has at most 200 characters."))
        cleaned["address"] = address
    if "occupation" in data:
        cleaned["occupation"] = str(data["occupation"] or "").strip()[:60]
    if "living_alone" in data:
        cleaned["living_alone"] = bool(data["living_alone"])
    if "disability" in data:
        disability = data["disability"] or ""
        if disability not in Disability.values:
            errors.add("disability", _("Choose a disability type from the list."))
        cleaned["disability"] = disability
    if "household" in data:
        cleaned["household"] = data["household"]
    return cleaned


def _apply_hashes(resident: Resident) -> None:
    resident.id_number_hash = crypto.blind_index(resident.id_number, purpose="id_number")
    resident.phone_hash = (
        crypto.blind_index(resident.phone, purpose="phone") if resident.phone else ""
    )


def register_resident(
    *,
    actor: User,
    community: Community,
    name: str,
    id_number: str,
    phone: str = "",
    address: str = "",
    occupation: str = "",
    living_alone: bool = False,
    disability: str = "",
    household: Household | None = None,
    user: User | None = None,
) -> Resident:
    """File a new resident record. Sex and birth date come from the ID number."""
    _require_editor(actor, community)
    cleaned = validate_new_resident(
        community=community,
        name=name,
        id_number=id_number,
        phone=phone,
        address=address,
        occupation=occupation,
        living_alone=living_alone,
        disability=disability,
        household=household,
    )
    resident = Resident(community=community, household=household, user=user, **cleaned)
    _apply_hashes(resident)
    try:
        with transaction.atomic():
            resident.save()
            audit.record(actor=actor, action="careloop.resident.created", obj=resident)
            refresh_tags(resident)
    except IntegrityError:
        # Two clerks registering the same person at once: one wins, the other is told.
        raise ConflictError(
            "residents.duplicate",
            _("A resident with this ID number is already registered."),
            fields={"id_number": [_("A resident with this ID number is already registered.")]},
        ) from None
    return resident


def validate_new_resident(
    *,
    community: Community,
    name: str,
    id_number: str,
    phone: str = "",
    address: str = "",
    occupation: str = "",
    living_alone: bool = False,
    disability: str = "",
    household: Household | None = None,
) -> dict[str, Any]:
    """The checks of ``register_resident`` without writing: the cleaned fields, or
    DomainError("residents.invalid") with field errors (the importer checks rows with it)."""
    errors = FieldErrors({})
    cleaned = _clean(
        {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "address": address,
            "occupation": occupation,
            "living_alone": living_alone,
            "disability": disability,
        },
        errors,
    )
    if (
        "id_number" in cleaned
        and Resident.objects.filter(
            id_number_hash=crypto.blind_index(cleaned["id_number"], purpose="id_number")
        ).exists()
    ):
        errors.add("id_number", _("A resident with this ID number is already registered."))
    if household is not None and household.community_id != community.pk:
        errors.add("household", _("The household belongs to another community."))
    if errors.errors:
        raise DomainError(
            "residents.invalid", _("Please correct the marked fields."), fields=errors.errors
        )
    return cleaned


def update_resident(*, actor: User, resident: Resident, changes: dict[str, Any]) -> Resident:
    """Change some fields. ``resident`` must come from a scoped selector."""
    is_self = resident.user_id is not None and resident.user_id == actor.pk
    allowed = SELF_EDITABLE if is_self and not actor.has_role(*EDITOR_ROLES) else STAFF_EDITABLE
    if not is_self and not actor.is_superuser and not actor.has_role(*EDITOR_ROLES):
        raise ForbiddenError("residents.forbidden", _("You may not change this record."))
    errors = FieldErrors({})
    for name in changes:
        if name not in allowed:
            errors.add(name, _("This field cannot be changed here."))
    cleaned = _clean({k: v for k, v in changes.items() if k in allowed}, errors)
    household = cleaned.get("household")
    if household is not None and household.community_id != resident.community_id:
        errors.add("household", _("The household belongs to another community."))
    if errors.errors:
        raise DomainError(
            "residents.invalid", _("Please correct the marked fields."), fields=errors.errors
        )
    changed = sorted(k for k, v in cleaned.items() if getattr(resident, k) != v)
    if not changed:
        return resident
    with transaction.atomic():
        for name in changed:
            setattr(resident, name, cleaned[name])
        _apply_hashes(resident)
        resident.save()
        audit.record(
            actor=actor,
            action="careloop.resident.updated",
            obj=resident,
            detail={"fields": changed},
        )
        if PROFILE_FIELDS.intersection(changed):
            refresh_tags(resident)
    return resident


def create_household(
    *, actor: User, community: Community, code: str, address: str = ""
) -> Household:
    _require_editor(actor, community)
    code = code.strip()
    if not code:
        raise DomainError(
            "residents.invalid",
            _("Please correct the marked fields."),
            fields={"code": [_("Enter the household number.")]},
        )
    with transaction.atomic():
        household, created = Household.objects.get_or_create(
            community=community, code=code, defaults={"address": address}
        )
        if created:
            audit.record(actor=actor, action="careloop.household.created", obj=household)
    return household


# A coordinate's limits and the error that names it (see ``set_household_location``).
COORDINATE_LIMITS = {
    "latitude": (90.0, _("Enter a latitude between -90 and 90 degrees.")),
    "longitude": (180.0, _("Enter a longitude between -180 and 180 degrees.")),
}
COORDINATE_DECIMALS = 6  # about 0.1 m: more than any map gives


def _coordinate(name: str, value: Any, errors: FieldErrors) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    limit, message = COORDINATE_LIMITS[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add(name, _("Enter a number."))
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        errors.add(name, message)
        return None
    return round(number, COORDINATE_DECIMALS)


def set_household_location(
    *, actor: User, household: Household, latitude: Any, longitude: Any
) -> Household:
    """Locate a home on the map, or clear its location (both ``None`` or empty). Both
    coordinates or neither, in the one datum CareLoop uses (GCJ-02, see ``Household``).
    Home visits are measured from here, and the green channel alerts the volunteers living
    near it. The audit event says whether the home is located, never where it is."""
    _require_editor(actor, household.community)
    errors = FieldErrors({})
    lat = _coordinate("latitude", latitude, errors)
    lon = _coordinate("longitude", longitude, errors)
    if not errors.errors and (lat is None) != (lon is None):
        missing = "latitude" if lat is None else "longitude"
        errors.add(missing, _("Enter both the latitude and the longitude, or leave both empty."))
    if errors.errors:
        raise DomainError(
            "residents.invalid", _("Please correct the marked fields."), fields=errors.errors
        )
    if (household.latitude, household.longitude) == (lat, lon):
        return household
    with transaction.atomic():
        household.latitude, household.longitude = lat, lon
        household.save(update_fields=["latitude", "longitude"])
        audit.record(
            actor=actor,
            action="careloop.household.located",
            obj=household,
            detail={"located": lat is not None},
        )
    return household


def link_guardian(
    *, actor: User, guardian: Resident, dependant: Resident, relation: str
) -> GuardianLink:
    _require_editor(actor, dependant.community)
    if guardian.pk == dependant.pk:
        raise DomainError("residents.guardian_self", _("A resident cannot be their own guardian."))
    if relation not in GuardianRelation.values:
        raise DomainError("residents.invalid", _("Choose a relation from the list."))
    with transaction.atomic():
        link, created = GuardianLink.objects.get_or_create(
            guardian=guardian, dependant=dependant, defaults={"relation": relation}
        )
        if created:
            audit.record(
                actor=actor,
                action="careloop.guardian.linked",
                obj=dependant,
                detail={"guardian": guardian.public_id, "relation": relation},
            )
    return link


def sign_contract(
    *,
    actor: User,
    resident: Resident,
    team: CareTeam,
    doctor: User | None = None,
    signed_on: date | None = None,
    years: int = 1,
) -> CareContract:
    """Sign (or re-sign) a family-doctor contract; an earlier active contract ends."""
    _require_editor(actor, resident.community)
    if team.community_id != resident.community_id:
        raise DomainError("residents.team_community", _("The team serves another community."))
    signed_on = signed_on or clock.today()
    with transaction.atomic():
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        CareContract.objects.filter(resident=resident, status=ContractStatus.ACTIVE).update(
            status=ContractStatus.ENDED
        )
        contract = CareContract.objects.create(
            resident=resident,
            team=team,
            doctor=doctor,
            signed_on=signed_on,
            ends_on=signed_on.replace(year=signed_on.year + years)
            if not (signed_on.month == 2 and signed_on.day == 29)
            else date(signed_on.year + years, 2, 28),
        )
        audit.record(
            actor=actor,
            action="careloop.contract.signed",
            obj=resident,
            detail={"team": team.public_id, "contract": contract.public_id},
        )
    return contract
