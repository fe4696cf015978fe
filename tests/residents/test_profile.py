"""Health profile: condition reference data, recording and resolving conditions (scoped,
audited, nothing written on bad input), medications, pregnancy and the derived tags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps

from careloop.catalogue.facts import resident_facts
from careloop.core import clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.residents import profile_selectors, reference, services
from careloop.residents.models import (
    ConditionStatus,
    ConditionType,
    Medication,
    Pregnancy,
    ProfileSource,
    Questionnaire,
    ResidentCondition,
    ResidentTag,
)
from tests.residents.profile_helpers import audit_actions

SHIPPED = [
    "I10",
    "E11",
    "J44",
    "I25",
    "I69",
    "M81",
    "F32",
    "F03",
    "G30",
    "N18",
    "E78",
    "J45",
    "M10",
    "B18.1",
    "K76.0",
    "M47",
    "M51",
    "G20",
    "F20",
    "A15",
]


def test_condition_reference_data_is_shipped(db):
    codes = set(ConditionType.objects.values_list("code", flat=True))
    assert set(SHIPPED) <= codes
    htn = ConditionType.objects.get(code="I10")
    assert (htn.name_zh, htn.tag, htn.chronic, htn.version) == (
        "原发性高血压",
        "hypertension",
        True,
        "v1",
    )
    assert ConditionType.objects.get(code="F20").tag == "severe_mental_disorder"
    assert ConditionType.objects.get(code="A15").chronic is False
    assert all(ConditionType.objects.values_list("name_en", flat=True))


def test_reference_loader_is_idempotent(db):
    before = ConditionType.objects.count(), Questionnaire.objects.count()
    assert services.load_reference_data() == {
        "conditions_created": 0,
        "conditions_updated": 0,
        "questionnaires_created": 0,
    }
    ConditionType.objects.filter(code="I10").delete()
    result = reference.apply_all(lambda name: apps.get_model("residents", name))
    assert result["conditions_created"] == 1
    assert (ConditionType.objects.count(), Questionnaire.objects.count()) == before


@pytest.mark.parametrize("text", ["I10", "i10", "I10.x", "高血压", "原发性高血压"])
def test_condition_found_by_code_subcode_or_name(db, text):
    assert services.find_condition_type(text).code == "I10"


def test_find_condition_subcodes(db):
    assert services.find_condition_type("E11.900").code == "E11"
    assert services.find_condition_type("K76.01").code == "K76.0"
    assert services.find_condition_type("Z99") is None


def test_record_condition_is_audited_and_tags_follow(cast):
    entry = services.record_condition(
        actor=cast.doctor_a,
        resident=cast.wang,
        condition="I10",
        onset_date=clock.today() - timedelta(days=400),
    )
    assert (entry.status, entry.source, entry.recorded_by) == (
        ConditionStatus.ACTIVE,
        ProfileSource.STAFF,
        cast.doctor_a,
    )
    event = AuditEvent.objects.filter(action="careloop.condition.recorded").get()
    assert event.object_id == cast.wang.public_id
    assert event.detail == {"condition": entry.public_id, "code": "I10", "source": "staff"}
    assert profile_selectors.tags_of(cast.wang) >= {"hypertension", "chronic_disease"}
    assert "htn_dm" not in profile_selectors.tags_of(cast.wang)


def test_adding_diabetes_to_a_hypertensive_resident_gives_htn_dm(cast):
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    diabetes = services.record_condition(
        actor=cast.nurse_a, resident=cast.wang, condition="2型糖尿病"
    )
    assert {"htn_dm", "hypertension", "diabetes", "multimorbidity"} <= profile_selectors.tags_of(
        cast.wang
    )
    services.resolve_condition(actor=cast.doctor_a, condition=diabetes)
    tags = profile_selectors.tags_of(cast.wang)
    assert "htn_dm" not in tags and "diabetes" not in tags and "hypertension" in tags


def test_profile_tags_feed_catalogue_eligibility(cast):
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="E11")
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    facts = resident_facts(cast.wang)
    assert {"diabetes", "hypertension", "htn_dm"} <= facts.tags


def test_resolve_condition(cast):
    entry = services.record_condition(actor=cast.director, resident=cast.zhao, condition="J45")
    resolved = services.resolve_condition(actor=cast.doctor_b, condition=entry)
    assert (resolved.status, resolved.resolved_on) == (ConditionStatus.RESOLVED, clock.today())
    assert audit_actions("careloop.condition.") == [
        "careloop.condition.recorded",
        "careloop.condition.resolved",
    ]
    with pytest.raises(ConflictError):
        services.resolve_condition(actor=cast.doctor_b, condition=entry)
    # Once resolved, the condition may be recorded again as a new episode.
    again = services.record_condition(actor=cast.doctor_b, resident=cast.zhao, condition="J45")
    assert again.pk != entry.pk


@pytest.mark.parametrize(
    ("actor", "error"),
    [
        ("doctor_b", NotFoundError),  # another care team
        ("west_director", NotFoundError),  # another community
        ("cashier", ForbiddenError),
        ("auditor", ForbiddenError),  # reads only
        ("wang_user", ForbiddenError),  # residents do not code their own diagnoses
    ],
)
def test_record_condition_is_scoped(cast, actor, error):
    with pytest.raises(error):
        services.record_condition(actor=getattr(cast, actor), resident=cast.wang, condition="I10")
    assert not ResidentCondition.objects.exists()
    assert not AuditEvent.objects.filter(action="careloop.condition.recorded").exists()


def test_resolve_condition_is_scoped(cast):
    entry = services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    with pytest.raises(NotFoundError):
        services.resolve_condition(actor=cast.doctor_b, condition=entry)
    entry.refresh_from_db()
    assert entry.status == ConditionStatus.ACTIVE


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"condition": "X99"}, "condition"),
        ({"condition": "I10", "onset_date": "future"}, "onset_date"),
        ({"condition": "I10", "onset_date": "before_birth"}, "onset_date"),
        ({"condition": "I10", "note": "长" * 201}, "note"),
        ({"condition": "I10", "source": "rumour"}, "source"),
    ],
)
def test_invalid_condition_writes_nothing(cast, kwargs, field):
    if kwargs.get("onset_date") == "future":
        kwargs["onset_date"] = clock.today() + timedelta(days=1)
    elif kwargs.get("onset_date") == "before_birth":
        kwargs["onset_date"] = cast.wang.birth_date - timedelta(days=1)
    tags_before = profile_selectors.tags_of(cast.wang)
    with pytest.raises(DomainError) as info:
        services.record_condition(actor=cast.doctor_a, resident=cast.wang, **kwargs)
    assert info.value.code == "residents.invalid"
    assert list(info.value.fields) == [field]
    assert not ResidentCondition.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="careloop.condition").exists()
    assert profile_selectors.tags_of(cast.wang) == tags_before


def test_an_active_condition_cannot_be_recorded_twice(cast):
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    with pytest.raises(ConflictError) as info:
        services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="原发性高血压")
    assert info.value.code == "residents.condition_exists"
    assert ResidentCondition.objects.count() == 1


def test_registration_and_record_changes_refresh_tags(cast):
    # wang was born in 1949: elderly from registration on.
    assert "elderly" in profile_selectors.tags_of(cast.wang)
    services.update_resident(
        actor=cast.director, resident=cast.wang, changes={"living_alone": True}
    )
    assert "living_alone" in profile_selectors.tags_of(cast.wang)
    services.update_resident(
        actor=cast.director, resident=cast.wang, changes={"living_alone": False}
    )
    assert "living_alone" not in profile_selectors.tags_of(cast.wang)
    assert "child" in profile_selectors.tags_of(cast.li)


def test_tag_rows_keep_their_since(cast):
    first = ResidentTag.objects.get(resident=cast.wang, code="elderly").since
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    assert ResidentTag.objects.get(resident=cast.wang, code="elderly").since == first


def test_medications_and_poor_adherence(cast):
    medication = services.record_medication(
        actor=cast.doctor_a,
        resident=cast.wang,
        name="氨氯地平片",
        dose="5 mg",
        frequency="每日一次",
        start_date=clock.today() - timedelta(days=30),
        adherence="poor",
    )
    assert "poor_adherence" in profile_selectors.tags_of(cast.wang)
    services.update_medication(
        actor=cast.doctor_a, medication=medication, changes={"adherence": "good"}
    )
    assert "poor_adherence" not in profile_selectors.tags_of(cast.wang)
    with pytest.raises(DomainError) as info:
        services.update_medication(
            actor=cast.doctor_a,
            medication=medication,
            changes={"end_date": clock.today() - timedelta(days=60), "name": "x"},
        )
    assert set(info.value.fields) == {"end_date", "name"}
    medication.refresh_from_db()
    assert medication.end_date is None
    with pytest.raises(DomainError):
        services.record_medication(
            actor=cast.doctor_a, resident=cast.wang, name=" ", adherence="ok"
        )
    assert Medication.objects.count() == 1
    assert audit_actions("careloop.medication.") == [
        "careloop.medication.recorded",
        "careloop.medication.updated",
    ]


def test_allergy_and_family_history(cast):
    services.record_allergy(
        actor=cast.doctor_a,
        resident=cast.wang,
        substance="青霉素",
        reaction="皮疹",
        severity="severe",
    )
    services.record_family_history(
        actor=cast.doctor_a, resident=cast.wang, relation="father", condition="I10"
    )
    # Recording the same family history again is a no-op.
    services.record_family_history(
        actor=cast.doctor_a, resident=cast.wang, relation="father", condition="高血压"
    )
    profile = profile_selectors.health_profile(cast.wang)
    assert [a.substance for a in profile.allergies] == ["青霉素"]
    assert [(f.relation, f.condition.code) for f in profile.family_history] == [("father", "I10")]
    with pytest.raises(DomainError) as info:
        services.record_allergy(actor=cast.doctor_a, resident=cast.wang, substance="", severity="x")
    assert set(info.value.fields) == {"substance", "severity"}
    with pytest.raises(NotFoundError):
        services.record_allergy(actor=cast.doctor_b, resident=cast.wang, substance="花粉")


def test_pregnancy_then_postpartum(cast):
    # wang is female; the rule does not look at age.
    due = clock.today() + timedelta(days=100)
    pregnancy = services.record_pregnancy(actor=cast.doctor_a, resident=cast.wang, due_date=due)
    assert "pregnant" in profile_selectors.tags_of(cast.wang)
    with pytest.raises(ConflictError):
        services.record_pregnancy(actor=cast.doctor_a, resident=cast.wang, due_date=due)
    services.record_delivery(
        actor=cast.doctor_a, pregnancy=pregnancy, delivered_on=clock.today() - timedelta(days=3)
    )
    tags = profile_selectors.tags_of(cast.wang)
    assert "postpartum" in tags and "pregnant" not in tags
    pregnancy.refresh_from_db()
    assert pregnancy.postpartum_until == clock.today() + timedelta(days=39)
    # 43 days after delivery the nightly refresh drops the tag.
    later = clock.today() + timedelta(days=40)
    assert "postpartum" not in services.refresh_tags(cast.wang, on=later)


def test_a_male_resident_cannot_be_pregnant(cast):
    with pytest.raises(DomainError) as info:
        services.record_pregnancy(
            actor=cast.doctor_b, resident=cast.zhao, due_date=clock.today() + timedelta(days=90)
        )
    assert list(info.value.fields) == ["resident"]
    assert not Pregnancy.objects.exists()


def test_conditions_visible_to_is_scoped(cast):
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    services.record_condition(actor=cast.doctor_b, resident=cast.zhao, condition="E11")
    assert [c.condition.code for c in profile_selectors.conditions_visible_to(cast.doctor_a)] == [
        "I10"
    ]
    assert {c.condition.code for c in profile_selectors.conditions_visible_to(cast.director)} == {
        "I10",
        "E11",
    }
    assert not profile_selectors.conditions_visible_to(cast.west_director).exists()
    assert not profile_selectors.conditions_visible_to(cast.cashier).exists()


def test_health_profile_query_count(cast, django_assert_max_num_queries):
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    services.record_medication(actor=cast.doctor_a, resident=cast.wang, name="二甲双胍")
    with django_assert_max_num_queries(9):
        profile = profile_selectors.health_profile(cast.wang)
        assert [c.condition.code for c in profile.conditions] == ["I10"]
        assert ("hypertension", "高血压") in profile.tags


def test_refresh_all_tags_task(cast):
    from careloop.residents.tasks import refresh_all_tags

    ResidentTag.objects.all().delete()
    assert refresh_all_tags.call_local() == 4
    assert "elderly" in profile_selectors.tags_of(cast.wang)
