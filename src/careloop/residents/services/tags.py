"""Derived profile tags: gather a resident's facts, run the pure rules of
``residents.tagging`` and store the result as ``ResidentTag`` rows.

Every profile service calls ``refresh_tags`` inside its own transaction, so the stored tags
change together with the data they come from. Tags that depend on the calendar (age groups,
pregnancy, postpartum) are also refreshed by the nightly ``tasks.refresh_all_tags``.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from careloop.core import clock
from careloop.residents.models import (
    Adherence,
    ConditionStatus,
    Medication,
    Pregnancy,
    QuestionnaireResponse,
    Resident,
    ResidentCondition,
    ResidentTag,
)
from careloop.residents.tagging import ProfileFacts, derive_tags

LIFESTYLE_QUESTIONNAIRE = "lifestyle"
# A pregnancy not yet marked delivered still counts this long after the due date (42 weeks).
OVERDUE_GRACE = timedelta(days=14)


def profile_facts(resident: Resident, *, on: date | None = None) -> ProfileFacts:
    """Plain facts about ``resident`` on ``on`` (today) for ``tagging.derive_tags``."""
    on = on or clock.today()
    conditions = list(
        ResidentCondition.objects.filter(
            resident=resident, status=ConditionStatus.ACTIVE
        ).values_list("condition__tag", "condition__chronic")
    )
    pregnancies = list(
        Pregnancy.objects.filter(resident=resident, ended=False).values_list(
            "due_date", "delivered_on", "postpartum_until"
        )
    )
    latest = (
        QuestionnaireResponse.objects.filter(
            resident=resident, questionnaire__code=LIFESTYLE_QUESTIONNAIRE
        )
        .order_by("-submitted_at", "-id")
        .values_list("answers", flat=True)
        .first()
    )
    poor_adherence = (
        Medication.objects.filter(resident=resident, adherence=Adherence.POOR)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .exists()
    )
    return ProfileFacts(
        age=clock.age_on(resident.birth_date, on),
        sex=resident.sex,
        condition_tags=frozenset(tag for tag, _ in conditions if tag),
        chronic_condition_count=len({tag for tag, chronic in conditions if chronic}),
        living_alone=resident.living_alone,
        disability=resident.disability,
        pregnant=any(
            delivered is None and on <= due + OVERDUE_GRACE for due, delivered, _ in pregnancies
        ),
        postpartum=any(
            delivered is not None and until is not None and delivered <= on <= until
            for _, delivered, until in pregnancies
        ),
        poor_adherence=poor_adherence,
        lifestyle=latest or {},
    )


def refresh_tags(resident: Resident, *, on: date | None = None) -> frozenset[str]:
    """Recompute and store ``resident``'s tags; return them. Tags kept keep their ``since``."""
    tags = derive_tags(profile_facts(resident, on=on))
    with transaction.atomic():
        stored = set(ResidentTag.objects.filter(resident=resident).values_list("code", flat=True))
        gone = stored - tags
        if gone:
            ResidentTag.objects.filter(resident=resident, code__in=gone).delete()
        now = clock.now()
        ResidentTag.objects.bulk_create(
            [ResidentTag(resident=resident, code=code, since=now) for code in sorted(tags - stored)]
        )
    return tags
