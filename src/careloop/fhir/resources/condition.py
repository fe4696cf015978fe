"""Condition ↔ ``residents.ResidentCondition`` (a diagnosis in the health profile).

``Condition.id`` is the entry's public id; ``code`` an ICD-10 coding (system
``http://hl7.org/fhir/sid/icd-10``, a subcode such as E11.9 maps to the listed E11) or, failing
that, ``code.text`` naming a listed condition. ``clinicalStatus`` is active or resolved;
``onsetDateTime`` and ``abatementDateTime`` are dates. Create records through
``residents.services.record_condition`` (a condition already active is 409); update changes
the clinical status only, active → resolved (``resolve_condition``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from fhir.resources.R4B.condition import Condition

from careloop.core import audit
from careloop.core.errors import DomainError
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import FhirError, invalid, not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.observation import patient_id
from careloop.fhir.search import parse_token
from careloop.residents import profile_selectors, selectors, services
from careloop.residents.models import ConditionStatus, ProfileSource, ResidentCondition

ICD10 = "http://hl7.org/fhir/sid/icd-10"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
SPEC = "http://hl7.org/fhir/SearchParameter/"
# FHIR clinical statuses → the two CareLoop keeps.
STATUSES = {
    "active": ConditionStatus.ACTIVE,
    "recurrence": ConditionStatus.ACTIVE,
    "relapse": ConditionStatus.ACTIVE,
    "resolved": ConditionStatus.RESOLVED,
    "inactive": ConditionStatus.RESOLVED,
    "remission": ConditionStatus.RESOLVED,
}


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _patient_q(value: str, modifier: str | None) -> Q:
    pid = patient_id(value)
    return Q(resident__public_id=pid) if pid else Q(pk__in=[])


def _code_q(value: str, modifier: str | None) -> Q:
    system, code = parse_token(value)
    if system not in (None, ICD10) or not code:
        return Q(pk__in=[])
    return Q(condition__code__iexact=code)


def _status_q(value: str, modifier: str | None) -> Q:
    system, code = parse_token(value)
    status = STATUSES.get(code) if system in (None, CLINICAL) else None
    return Q(status=status) if status else Q(pk__in=[])


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _status(resource: Condition) -> str | None:
    concept = resource.clinicalStatus
    if concept is None:
        return None
    for coding in concept.coding or []:
        if coding.system in (None, CLINICAL) and coding.code in STATUSES:
            return STATUSES[coding.code]
    raise invalid(
        _("Use clinicalStatus active or resolved."), expression=("Condition.clinicalStatus",)
    )


@register
class ConditionResource(ResourceHandler[ResidentCondition]):
    resource_type = "Condition"
    model = Condition
    documentation = (
        f"A condition of the health profile, ICD-10 coded ({ICD10}). Update changes "
        "clinicalStatus from active to resolved only."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Condition.id", SPEC + "Resource-id"),
        SearchParam("patient", "reference", _patient_q, "The resident (Patient/id).",
                    SPEC + "clinical-patient"),
        SearchParam("subject", "reference", _patient_q, "The resident (Patient/id)."),
        SearchParam("code", "token", _code_q, f"ICD-10 code ({ICD10}|code or code).",
                    SPEC + "clinical-code"),
        SearchParam("clinical-status", "token", _status_q, "active or resolved.",
                    SPEC + "Condition-clinical-status"),
    )  # fmt: skip
    field_paths = {
        "condition": "Condition.code",
        "onset_date": "Condition.onsetDateTime",
        "resolved_on": "Condition.abatementDateTime",
        "note": "Condition.note",
        "source": "Condition",
    }

    # ---- reads ----------------------------------------------------------------------------

    def search(self, ctx: FhirContext) -> QuerySet[ResidentCondition]:
        return profile_selectors.conditions_visible_to(ctx.user)

    def read(self, ctx: FhirContext, resource_id: str) -> ResidentCondition:
        found = profile_selectors.get_condition_for(ctx.user, resource_id)
        if found is None:
            raise not_found(self.resource_type, resource_id)
        self.disclosed(ctx, [found], "fhir.read")
        return found

    def disclosed(self, ctx: FhirContext, objs: Sequence[ResidentCondition], purpose: str) -> None:
        seen: set[int] = set()
        for entry in objs:
            resident = entry.resident
            if resident.pk in seen or resident.user_id == ctx.user.pk:
                continue
            seen.add(resident.pk)
            audit.record(
                actor=ctx.user,
                action="careloop.resident.viewed",
                obj=resident,
                detail={"purpose": purpose},
            )

    # ---- writes ---------------------------------------------------------------------------

    def create(self, ctx: FhirContext, resource: Condition) -> ResidentCondition:
        pid = patient_id(resource.subject.reference or "")
        if not pid:
            raise invalid(
                _("The subject must be a reference to a Patient (Patient/id)."),
                expression=("Condition.subject",),
            )
        resident = selectors.get_resident_for(ctx.user, pid, purpose="fhir.condition")
        data = self.from_fhir(ctx, resource)
        status = data.pop("status")
        resolved_on = data.pop("resolved_on")
        entry = services.record_condition(
            actor=ctx.user, resident=resident, source=ProfileSource.FHIR, **data
        )
        if status == ConditionStatus.RESOLVED:
            entry = services.resolve_condition(
                actor=ctx.user, condition=entry, resolved_on=resolved_on
            )
        return entry

    def update(self, ctx: FhirContext, resource_id: str, resource: Condition) -> ResidentCondition:
        entry = self.read(ctx, resource_id)
        if patient_id(resource.subject.reference or "") != entry.resident.public_id:
            raise invalid(
                _("The subject of a condition cannot be changed."),
                expression=("Condition.subject",),
            )
        data = self.from_fhir(ctx, resource)
        if data["condition"].upper() not in {entry.condition.code, ""} and not data[
            "condition"
        ].upper().startswith(entry.condition.code + "."):
            raise invalid(
                _("The code of a condition cannot be changed: record a new Condition."),
                expression=("Condition.code",),
            )
        status = data["status"] or entry.status
        if status == entry.status:
            return entry  # nothing CareLoop stores changed
        if status == ConditionStatus.ACTIVE:
            raise DomainError(
                "fhir.condition_reopen",
                _("A resolved condition cannot be made active again: record a new Condition."),
            )
        return services.resolve_condition(
            actor=ctx.user, condition=entry, resolved_on=data["resolved_on"]
        )

    # ---- mapping --------------------------------------------------------------------------

    def from_fhir(self, ctx: FhirContext, resource: Condition) -> dict[str, Any]:
        concept = resource.code
        code = ""
        if concept is not None:
            code = next(
                (c.code for c in concept.coding or [] if c.system == ICD10 and c.code), ""
            ) or (concept.text or "")
        if not code:
            raise FhirError(
                400,
                "required",
                _("Code the condition in ICD-10 (system %(system)s).") % {"system": ICD10},
                expression=("Condition.code",),
            )
        notes = [n.text for n in resource.note or [] if n.text]
        return {
            "condition": code,
            "onset_date": _date(resource.onsetDateTime),
            "note": "\n".join(notes),
            "status": _status(resource),
            "resolved_on": _date(resource.abatementDateTime),
        }

    def to_fhir(self, ctx: FhirContext, obj: ResidentCondition) -> Condition:
        kind = obj.condition
        status = "resolved" if obj.status == ConditionStatus.RESOLVED else "active"
        data: dict[str, Any] = {
            "resourceType": "Condition",
            "id": obj.public_id,
            "meta": {"lastUpdated": obj.updated_at},
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "category": [{"coding": [{"system": CATEGORY, "code": "problem-list-item"}]}],
            "code": {
                "coding": [{"system": ICD10, "code": kind.code, "display": kind.name_en}],
                "text": kind.name_zh,
            },
            "subject": {"reference": f"Patient/{obj.resident.public_id}"},
            "recordedDate": obj.created_at,
        }
        if obj.onset_date:
            data["onsetDateTime"] = obj.onset_date
        if obj.resolved_on:
            data["abatementDateTime"] = obj.resolved_on
        if obj.note:
            data["note"] = [{"text": obj.note}]
        return Condition.model_validate(data)
