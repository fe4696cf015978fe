"""Permission-scoped reads of the health profile. Lists go through ``residents_visible_to``;
functions taking a ``resident`` expect one already fetched through a scoped selector."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import get_language

from careloop.core.models import User
from careloop.residents.models import (
    Allergy,
    ConditionStatus,
    ConditionType,
    FamilyHistory,
    Medication,
    Pregnancy,
    Questionnaire,
    QuestionnaireResponse,
    Resident,
    ResidentCondition,
    ResidentTag,
)
from careloop.residents.selectors import residents_visible_to
from careloop.residents.tagging import labelled


def tags_of(resident: Resident) -> frozenset[str]:
    """The resident's stored profile tag codes (uses ``with_tags`` prefetch when present)."""
    prefetched = getattr(resident, "_prefetched_objects_cache", {}).get("profile_tags")
    if prefetched is not None:
        return frozenset(tag.code for tag in prefetched)
    return frozenset(ResidentTag.objects.filter(resident=resident).values_list("code", flat=True))


def tag_labels(resident: Resident, language: str | None = None) -> list[tuple[str, str]]:
    """``(code, label)`` pairs of the resident's tags in the active (or given) language."""
    return labelled(tags_of(resident), language or get_language() or "zh-hans")


def with_tags(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    """Prefetch tags for a page of residents (one query)."""
    return residents.prefetch_related("profile_tags")


def residents_with_tag(user: User, code: str) -> QuerySet[Resident]:
    return residents_visible_to(user).filter(profile_tags__code=code)


def condition_types(*, chronic_only: bool = False) -> QuerySet[ConditionType]:
    types = ConditionType.objects.filter(active=True)
    return types.filter(chronic=True) if chronic_only else types


def conditions_visible_to(user: User) -> QuerySet[ResidentCondition]:
    """Conditions of the residents ``user`` may see (FHIR ``Condition`` search)."""
    return ResidentCondition.objects.filter(
        resident__in=residents_visible_to(user).values("pk")
    ).select_related("condition", "resident", "recorded_by")


def conditions_of(resident: Resident, *, active_only: bool = False) -> QuerySet[ResidentCondition]:
    conditions = ResidentCondition.objects.filter(resident=resident).select_related(
        "condition", "recorded_by"
    )
    return conditions.filter(status=ConditionStatus.ACTIVE) if active_only else conditions


def get_condition_for(user: User, public_id: str) -> ResidentCondition | None:
    return conditions_visible_to(user).filter(public_id=public_id).first()


def medications_of(resident: Resident) -> QuerySet[Medication]:
    return Medication.objects.filter(resident=resident)


def allergies_of(resident: Resident) -> QuerySet[Allergy]:
    return Allergy.objects.filter(resident=resident)


def family_history_of(resident: Resident) -> QuerySet[FamilyHistory]:
    return FamilyHistory.objects.filter(resident=resident).select_related("condition")


def pregnancies_of(resident: Resident) -> QuerySet[Pregnancy]:
    return Pregnancy.objects.filter(resident=resident)


def active_questionnaire(code: str) -> Questionnaire | None:
    return Questionnaire.objects.filter(code=code, active=True).first()


def questionnaire_version(code: str, version: int) -> Questionnaire | None:
    return Questionnaire.objects.filter(code=code, version=version).first()


def responses_visible_to(user: User) -> QuerySet[QuestionnaireResponse]:
    """Responses of the residents ``user`` may see (FHIR ``QuestionnaireResponse`` search)."""
    return QuestionnaireResponse.objects.filter(
        resident__in=residents_visible_to(user).values("pk")
    ).select_related("questionnaire", "resident", "answered_by")


def responses_of(resident: Resident, *, code: str = "") -> QuerySet[QuestionnaireResponse]:
    responses = QuestionnaireResponse.objects.filter(resident=resident).select_related(
        "questionnaire", "answered_by"
    )
    return responses.filter(questionnaire__code=code) if code else responses


def latest_response(resident: Resident, code: str) -> QuestionnaireResponse | None:
    return responses_of(resident, code=code).order_by("-submitted_at", "-id").first()


@dataclass(frozen=True)
class HealthProfile:
    """Everything the record page shows about a resident's health, loaded in a few queries."""

    conditions: list[ResidentCondition]
    medications: list[Medication]
    allergies: list[Allergy]
    family_history: list[FamilyHistory]
    pregnancies: list[Pregnancy]
    tags: list[tuple[str, str]]
    latest_lifestyle: QuestionnaireResponse | None


def health_profile(resident: Resident) -> HealthProfile:
    """The profile of a resident fetched through a scoped selector (``get_resident_for``)."""
    resident = (
        Resident.objects.filter(pk=resident.pk)
        .prefetch_related(
            Prefetch(
                "conditions",
                queryset=ResidentCondition.objects.select_related("condition", "recorded_by"),
            ),
            "medications",
            "allergies",
            Prefetch("family_history", queryset=FamilyHistory.objects.select_related("condition")),
            "pregnancies",
            "profile_tags",
        )
        .get()
    )
    return HealthProfile(
        conditions=list(resident.conditions.all()),
        medications=list(resident.medications.all()),
        allergies=list(resident.allergies.all()),
        family_history=list(resident.family_history.all()),
        pregnancies=list(resident.pregnancies.all()),
        tags=tag_labels(resident),
        latest_lifestyle=latest_response(resident, "lifestyle"),
    )
