"""Residents' models: people and care teams (``people``), the health profile (``profile``)
and questionnaires (``questionnaires``). Import them from here."""

from careloop.residents.models.people import (
    CareContract,
    CareTeam,
    CareTeamMember,
    ContractStatus,
    Disability,
    GuardianLink,
    GuardianRelation,
    Household,
    Resident,
    Sex,
)
from careloop.residents.models.profile import (
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
    ResidentCondition,
    ResidentTag,
)
from careloop.residents.models.questionnaires import Questionnaire, QuestionnaireResponse

__all__ = [
    "Adherence",
    "Allergy",
    "AllergySeverity",
    "CareContract",
    "CareTeam",
    "CareTeamMember",
    "ConditionStatus",
    "ConditionType",
    "ContractStatus",
    "Disability",
    "FamilyHistory",
    "FamilyRelation",
    "GuardianLink",
    "GuardianRelation",
    "Household",
    "Medication",
    "Pregnancy",
    "ProfileSource",
    "Questionnaire",
    "QuestionnaireResponse",
    "Resident",
    "ResidentCondition",
    "ResidentTag",
    "Sex",
]
