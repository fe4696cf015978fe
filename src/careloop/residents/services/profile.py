"""Writes to the health profile: conditions, medications, allergies, family history and
pregnancy. Each function is atomic, records an audit event about the resident and refreshes
the resident's derived tags in the same transaction. ``resident`` must come from a scoped
selector; the functions check again that the actor edits records and sees this resident."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.residents import reference
from careloop.residents.models import (
    Adherence,
    Allergy,
    AllergySeverity,
    ConditionStatus,
    ConditionType,
    FamilyHistory,
    FamilyRelation,
    Medication,
    Pregnancy,
    ProfileSource,
    Resident,
    ResidentCondition,
    Sex,
)
from careloop.residents.selectors import residents_visible_to
from careloop.residents.services.people import EDITOR_ROLES, FieldErrors
from careloop.residents.services.tags import refresh_tags

POSTPARTUM_DAYS = 42  # 产后42天健康检查
MEDICATION_EDITABLE = frozenset({"dose", "frequency", "end_date", "adherence"})


def _require_profile_editor(actor: User, resident: Resident) -> None:
    if actor.is_superuser:
        return
    if not actor.has_role(*EDITOR_ROLES):
        raise ForbiddenError(
            "residents.profile_forbidden", _("You may not change this health profile.")
        )
    if not residents_visible_to(actor).filter(pk=resident.pk).exists():
        raise NotFoundError("residents.not_found", _("No such resident."))


def _raise_if(errors: FieldErrors) -> None:
    if errors.errors:
        raise DomainError(
            "residents.invalid", _("Please correct the marked fields."), fields=errors.errors
        )


def _check_past_date(
    errors: FieldErrors, name: str, value: date | None, resident: Resident
) -> None:
    if value is None:
        return
    if value > clock.today():
        errors.add(name, _("The date cannot be in the future."))
    elif value < resident.birth_date:
        errors.add(name, _("The date cannot be before the resident's birth."))


def find_condition_type(text: str) -> ConditionType | None:
    """A condition type by ICD-10 code (``E11`` or a subcode like ``E11.9``), Chinese or
    English name, or listed alias; None when nothing matches."""
    text = text.strip()
    if not text:
        return None
    code = text.upper()
    types = ConditionType.objects.filter(active=True)
    found = types.filter(code=code).first()
    while found is None and "." in code:
        code = code.rsplit(".", 1)[0] if len(code.rsplit(".", 1)[1]) <= 1 else code[:-1]
        found = types.filter(code=code).first()
    if found is None:
        found = types.filter(name_zh=text).first() or types.filter(name_en__iexact=text).first()
    if found is None:
        found = next((t for t in types if text in t.aliases), None)
    return found


def _condition_type(value: ConditionType | str, errors: FieldErrors) -> ConditionType | None:
    if isinstance(value, ConditionType):
        return value
    found = find_condition_type(str(value or ""))
    if found is None:
        errors.add("condition", _("Choose a condition from the list (ICD-10 code or name)."))
    return found


def record_condition(
    *,
    actor: User,
    resident: Resident,
    condition: ConditionType | str,
    onset_date: date | None = None,
    note: str = "",
    source: str = ProfileSource.STAFF,
) -> ResidentCondition:
    """Record that ``resident`` has ``condition`` (a ConditionType, or an ICD-10 code or name).
    A condition already active for the resident is a ConflictError."""
    _require_profile_editor(actor, resident)
    return _record_condition(
        actor=actor,
        resident=resident,
        condition=condition,
        onset_date=onset_date,
        note=note,
        source=source,
    )


def _record_condition(
    *,
    actor: User,
    resident: Resident,
    condition: ConditionType | str,
    onset_date: date | None,
    note: str,
    source: str,
) -> ResidentCondition:
    errors = FieldErrors({})
    condition_type = _condition_type(condition, errors)
    _check_past_date(errors, "onset_date", onset_date, resident)
    if len(note) > 200:
        errors.add("note", _("A note has at most 200 characters."))
    if source not in ProfileSource.values:
        errors.add("source", _("Choose a source from the list."))
    _raise_if(errors)
    assert condition_type is not None
    duplicate = ConflictError(
        "residents.condition_exists",
        _("This condition is already recorded as active for the resident."),
        fields={"condition": [_("This condition is already recorded as active.")]},
    )
    try:
        with transaction.atomic():
            Resident.objects.select_for_update().filter(pk=resident.pk).first()
            if ResidentCondition.objects.filter(
                resident=resident, condition=condition_type, status=ConditionStatus.ACTIVE
            ).exists():
                raise duplicate
            entry = ResidentCondition.objects.create(
                resident=resident,
                condition=condition_type,
                onset_date=onset_date,
                note=note.strip(),
                source=source,
                recorded_by=actor if actor.is_authenticated else None,
            )
            audit.record(
                actor=actor,
                action="careloop.condition.recorded",
                obj=resident,
                detail={"condition": entry.public_id, "code": condition_type.code,
                        "source": source},
            )  # fmt: skip
            refresh_tags(resident)
    except IntegrityError:
        raise duplicate from None
    return entry


def resolve_condition(
    *, actor: User, condition: ResidentCondition, resolved_on: date | None = None
) -> ResidentCondition:
    """Mark an active condition resolved (it stays in the record as history)."""
    resident = condition.resident
    _require_profile_editor(actor, resident)
    resolved_on = resolved_on or clock.today()
    errors = FieldErrors({})
    _check_past_date(errors, "resolved_on", resolved_on, resident)
    if condition.onset_date and resolved_on < condition.onset_date:
        errors.add("resolved_on", _("A condition cannot resolve before its onset."))
    _raise_if(errors)
    with transaction.atomic():
        updated = ResidentCondition.objects.filter(
            pk=condition.pk, status=ConditionStatus.ACTIVE
        ).update(status=ConditionStatus.RESOLVED, resolved_on=resolved_on, updated_at=clock.now())
        if not updated:
            raise ConflictError(
                "residents.condition_resolved", _("This condition is already resolved.")
            )
        audit.record(
            actor=actor,
            action="careloop.condition.resolved",
            obj=resident,
            detail={"condition": condition.public_id, "code": condition.condition.code},
        )
        refresh_tags(resident)
    condition.refresh_from_db()
    return condition


def _clean_medication(
    data: dict[str, Any], errors: FieldErrors, resident: Resident, start: date | None
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, limit in (("name", 100), ("dose", 50), ("frequency", 50)):
        if name in data:
            value = str(data[name] or "").strip()
            if len(value) > limit:
                errors.add(name, _("At most %(limit)s characters.") % {"limit": limit})
            cleaned[name] = value
    if "name" in cleaned and not cleaned["name"]:
        errors.add("name", _("Enter the name of the medicine."))
    if "start_date" in data:
        _check_past_date(errors, "start_date", data["start_date"], resident)
        cleaned["start_date"] = data["start_date"]
    if "end_date" in data:
        end = data["end_date"]
        start = cleaned.get("start_date", start)
        if end is not None and start is not None and end < start:
            errors.add("end_date", _("The end date cannot be before the start date."))
        cleaned["end_date"] = end
    if "adherence" in data:
        adherence = data["adherence"] or ""
        if adherence not in Adherence.values:
            errors.add("adherence", _("Choose an adherence level from the list."))
        cleaned["adherence"] = adherence
    return cleaned


def record_medication(
    *,
    actor: User,
    resident: Resident,
    name: str,
    dose: str = "",
    frequency: str = "",
    start_date: date | None = None,
    end_date: date | None = None,
    adherence: str = "",
    source: str = ProfileSource.STAFF,
) -> Medication:
    _require_profile_editor(actor, resident)
    errors = FieldErrors({})
    cleaned = _clean_medication(
        {"name": name, "dose": dose, "frequency": frequency, "start_date": start_date,
         "end_date": end_date, "adherence": adherence},
        errors, resident, None,
    )  # fmt: skip
    if source not in ProfileSource.values:
        errors.add("source", _("Choose a source from the list."))
    _raise_if(errors)
    with transaction.atomic():
        medication = Medication.objects.create(
            resident=resident, source=source, recorded_by=actor, **cleaned
        )
        audit.record(
            actor=actor,
            action="careloop.medication.recorded",
            obj=resident,
            detail={"medication": medication.public_id},
        )
        refresh_tags(resident)
    return medication


def update_medication(
    *, actor: User, medication: Medication, changes: dict[str, Any]
) -> Medication:
    """Change dose, frequency, end date (stopping it) or adherence."""
    resident = medication.resident
    _require_profile_editor(actor, resident)
    errors = FieldErrors({})
    for name in changes:
        if name not in MEDICATION_EDITABLE:
            errors.add(name, _("This field cannot be changed here."))
    cleaned = _clean_medication(
        {k: v for k, v in changes.items() if k in MEDICATION_EDITABLE},
        errors,
        resident,
        medication.start_date,
    )
    _raise_if(errors)
    changed = sorted(k for k, v in cleaned.items() if getattr(medication, k) != v)
    if not changed:
        return medication
    with transaction.atomic():
        for name in changed:
            setattr(medication, name, cleaned[name])
        medication.save()
        audit.record(
            actor=actor,
            action="careloop.medication.updated",
            obj=resident,
            detail={"medication": medication.public_id, "fields": changed},
        )
        refresh_tags(resident)
    return medication


def record_allergy(
    *, actor: User, resident: Resident, substance: str, reaction: str = "", severity: str = ""
) -> Allergy:
    _require_profile_editor(actor, resident)
    errors = FieldErrors({})
    substance, reaction = substance.strip(), reaction.strip()
    if not substance:
        errors.add("substance", _("Enter the substance."))
    elif len(substance) > 100:
        errors.add("substance", _("At most %(limit)s characters.") % {"limit": 100})
    if len(reaction) > 200:
        errors.add("reaction", _("At most %(limit)s characters.") % {"limit": 200})
    if severity and severity not in AllergySeverity.values:
        errors.add("severity", _("Choose a severity from the list."))
    _raise_if(errors)
    with transaction.atomic():
        allergy = Allergy.objects.create(
            resident=resident,
            substance=substance,
            reaction=reaction,
            severity=severity,
            recorded_by=actor,
        )
        audit.record(
            actor=actor,
            action="careloop.allergy.recorded",
            obj=resident,
            detail={"allergy": allergy.public_id},
        )
        refresh_tags(resident)
    return allergy


def record_family_history(
    *, actor: User, resident: Resident, relation: str, condition: ConditionType | str
) -> FamilyHistory:
    _require_profile_editor(actor, resident)
    errors = FieldErrors({})
    if relation not in FamilyRelation.values:
        errors.add("relation", _("Choose a relation from the list."))
    condition_type = _condition_type(condition, errors)
    _raise_if(errors)
    with transaction.atomic():
        entry, created = FamilyHistory.objects.get_or_create(
            resident=resident,
            relation=relation,
            condition=condition_type,
            defaults={"recorded_by": actor},
        )
        if created:
            audit.record(
                actor=actor,
                action="careloop.family_history.recorded",
                obj=resident,
                detail={"relation": relation, "code": entry.condition.code},
            )
            refresh_tags(resident)
    return entry


def record_pregnancy(*, actor: User, resident: Resident, due_date: date) -> Pregnancy:
    """Open a pregnancy; a resident has at most one pregnancy not yet delivered or ended."""
    _require_profile_editor(actor, resident)
    errors = FieldErrors({})
    if resident.sex != Sex.FEMALE:
        errors.add("resident", _("Only a female resident can be recorded as pregnant."))
    today = clock.today()
    if not today - timedelta(days=60) <= due_date <= today + timedelta(days=300):
        errors.add("due_date", _("The due date must lie within the next ten months."))
    _raise_if(errors)
    with transaction.atomic():
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        if Pregnancy.objects.filter(
            resident=resident, delivered_on__isnull=True, ended=False
        ).exists():
            raise ConflictError(
                "residents.pregnancy_open", _("This resident already has an open pregnancy.")
            )
        pregnancy = Pregnancy.objects.create(
            resident=resident, due_date=due_date, recorded_by=actor
        )
        audit.record(
            actor=actor,
            action="careloop.pregnancy.recorded",
            obj=resident,
            detail={"pregnancy": pregnancy.public_id, "due_date": due_date.isoformat()},
        )
        refresh_tags(resident)
    return pregnancy


def record_delivery(
    *,
    actor: User,
    pregnancy: Pregnancy,
    delivered_on: date,
    postpartum_days: int = POSTPARTUM_DAYS,
) -> Pregnancy:
    """Record the birth: the resident is postpartum until ``delivered_on + postpartum_days``."""
    resident = pregnancy.resident
    _require_profile_editor(actor, resident)
    errors = FieldErrors({})
    _check_past_date(errors, "delivered_on", delivered_on, resident)
    if not 0 < postpartum_days <= 365:
        errors.add("postpartum_days", _("Enter a number of days from 1 to 365."))
    _raise_if(errors)
    with transaction.atomic():
        updated = Pregnancy.objects.filter(
            pk=pregnancy.pk, delivered_on__isnull=True, ended=False
        ).update(
            delivered_on=delivered_on,
            postpartum_until=delivered_on + timedelta(days=postpartum_days),
            updated_at=clock.now(),
        )
        if not updated:
            raise ConflictError(
                "residents.pregnancy_closed", _("This pregnancy is already closed.")
            )
        audit.record(
            actor=actor,
            action="careloop.pregnancy.delivered",
            obj=resident,
            detail={"pregnancy": pregnancy.public_id, "delivered_on": delivered_on.isoformat()},
        )
        refresh_tags(resident)
    pregnancy.refresh_from_db()
    return pregnancy


def load_reference_data(*, update_existing: bool = False) -> dict[str, int]:
    """Load the shipped condition table and questionnaires (idempotent)."""
    from django.apps import apps

    with transaction.atomic():
        return reference.apply_all(
            lambda name: apps.get_model("residents", name), update_existing=update_existing
        )
