"""Questionnaires: versioned definitions as data; responses validated item by item, nothing
written on an error; residents answer for themselves, staff on their behalf."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.residents import profile_selectors, reference, services
from careloop.residents.models import Questionnaire, QuestionnaireResponse
from careloop.residents.questionnaire_schema import (
    SchemaDefinitionError,
    check_definition,
    validate_answers,
)

GOOD = {
    "diet": "balanced",
    "salt_intake": "heavy",
    "exercise_days": "1",
    "sleep_hours": 6.5,
    "smoking": "current",
    "drinking": "never",
    "stress_level": "high",
    "living_alone": "否",
    "has_caregiver": True,
    "self_management": "willing",
}


@pytest.fixture
def lifestyle(db) -> Questionnaire:
    return profile_selectors.active_questionnaire("lifestyle")


def test_lifestyle_v1_is_shipped_and_active(lifestyle):
    assert (lifestyle.version, lifestyle.title_zh, lifestyle.canonical) == (
        1,
        "生活方式与社会情况问卷",
        "lifestyle|1",
    )
    link_ids = [item["linkId"] for item in lifestyle.schema["items"]]
    assert link_ids == [
        "diet",
        "salt_intake",
        "exercise_days",
        "sleep_hours",
        "smoking",
        "drinking",
        "stress_level",
        "living_alone",
        "has_caregiver",
        "self_management",
        "note",
    ]
    check_definition(lifestyle.schema)


def test_resident_answers_for_themselves(cast, lifestyle):
    response = services.submit_questionnaire_response(
        actor=cast.wang_user, resident=cast.wang, questionnaire=lifestyle, answers=GOOD
    )
    assert response.on_behalf is False and response.answered_by == cast.wang_user
    assert response.answers == {**GOOD, "exercise_days": 1, "living_alone": False}
    event = AuditEvent.objects.get(action="careloop.questionnaire.submitted")
    assert event.detail == {
        "response": response.public_id,
        "questionnaire": "lifestyle|1",
        "on_behalf": False,
    }
    assert {"smoker", "sedentary", "high_stress", "high_salt"} <= profile_selectors.tags_of(
        cast.wang
    )


def test_staff_and_guardians_answer_on_behalf(cast, lifestyle):
    for actor, resident in ((cast.doctor_a, cast.wang), (cast.wang_user, cast.li)):
        response = services.submit_questionnaire_response(
            actor=actor, resident=resident, questionnaire=lifestyle, answers=GOOD
        )
        assert response.on_behalf is True
    assert profile_selectors.latest_response(cast.li, "lifestyle").answered_by == cast.wang_user


@pytest.mark.parametrize(
    ("actor", "error"),
    [
        ("zhao_user", NotFoundError),
        ("doctor_b", NotFoundError),
        ("cashier", ForbiddenError),
        ("west_director", NotFoundError),
    ],
)
def test_others_may_not_answer(cast, lifestyle, actor, error):
    with pytest.raises(error):
        services.submit_questionnaire_response(
            actor=getattr(cast, actor), resident=cast.wang, questionnaire=lifestyle, answers=GOOD
        )
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.parametrize(
    ("change", "link_id", "message"),
    [
        ({"exercise_days": 8}, "exercise_days", "Enter a value of at most 7."),
        ({"exercise_days": -1}, "exercise_days", "Enter a value of at least 0."),
        ({"exercise_days": "often"}, "exercise_days", "Enter a whole number."),
        ({"exercise_days": 2.5}, "exercise_days", "Enter a whole number."),
        ({"exercise_days": True}, "exercise_days", "Enter a whole number."),
        ({"sleep_hours": "lots"}, "sleep_hours", "Enter a number."),
        ({"sleep_hours": "NaN"}, "sleep_hours", "Enter a number."),
        ({"sleep_hours": 25}, "sleep_hours", "Enter a value of at most 24."),
        ({"smoking": "sometimes"}, "smoking", "Choose one of the answers offered."),
        ({"smoking": ["never", "current"]}, "smoking", "Choose one answer only."),
        ({"living_alone": "maybe"}, "living_alone", "Answer yes or no."),
        ({"diet": None}, "diet", "Please answer this question."),
        ({"diet": "  "}, "diet", "Please answer this question."),
        ({"note": "长" * 201}, "note", "Enter at most 200 characters."),
        ({"note": 5}, "note", "Enter text."),
        ({"shoe_size": 42}, "shoe_size", "This questionnaire has no such question."),
    ],
)
def test_each_item_is_validated_and_nothing_written(cast, lifestyle, change, link_id, message):
    answers = {**GOOD, **change}
    if change.get("diet", "x") is None:
        del answers["diet"]
    tags_before = profile_selectors.tags_of(cast.wang)
    with translation.override("en"), pytest.raises(DomainError) as info:
        services.submit_questionnaire_response(
            actor=cast.doctor_a, resident=cast.wang, questionnaire=lifestyle, answers=answers
        )
    assert info.value.code == "residents.questionnaire_invalid"
    with translation.override("en"):
        assert info.value.as_dict()["fields"] == {link_id: [message]}
    assert not QuestionnaireResponse.objects.exists()
    assert not AuditEvent.objects.filter(action="careloop.questionnaire.submitted").exists()
    assert profile_selectors.tags_of(cast.wang) == tags_before


def test_every_wrong_or_missing_item_is_reported(lifestyle):
    _, errors = validate_answers(lifestyle.schema, {"exercise_days": 9})
    assert set(errors) == {
        "diet",
        "salt_intake",
        "exercise_days",
        "sleep_hours",
        "smoking",
        "drinking",
        "stress_level",
        "living_alone",
        "has_caregiver",
        "self_management",
    }


def test_date_and_multiple_choice_items():
    schema = {
        "items": [
            {
                "linkId": "d",
                "type": "date",
                "text_zh": "日期",
                "text_en": "Date",
                "min": "2020-01-01",
                "max": "2030-12-31",
                "required": True,
            },
            {
                "linkId": "m",
                "type": "choice",
                "multiple": True,
                "text_zh": "多选",
                "text_en": "Many",
                "options": [
                    {"code": "a", "text_zh": "甲", "text_en": "A"},
                    {"code": "b", "text_zh": "乙", "text_en": "B"},
                ],
            },
        ]
    }
    check_definition(schema)
    assert validate_answers(schema, {"d": "2026-05-01", "m": ["b", "a"]}) == (
        {"d": "2026-05-01", "m": ["a", "b"]},
        {},
    )
    with translation.override("en"):
        _, errors = validate_answers(schema, {"d": "2019-12-31", "m": ["c"]})
        assert {k: [str(m) for m in v] for k, v in errors.items()} == {
            "d": ["Enter a date on or after 2020-01-01."],
            "m": ["Choose one of the answers offered."],
        }
        _, errors = validate_answers(schema, {"d": "31/12/2026"})
        assert [str(m) for m in errors["d"]] == ["Enter a date as YYYY-MM-DD."]


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"items": []},
        {"items": [{"linkId": "a", "type": "colour", "text_zh": "x", "text_en": "x"}]},
        {"items": [{"linkId": "a", "type": "string", "text_zh": "x"}]},
        {"items": [{"linkId": "a", "type": "string", "text_zh": "x", "text_en": "x"}] * 2},
        {
            "items": [
                {"linkId": "a", "type": "choice", "text_zh": "x", "text_en": "x", "options": []}
            ]
        },
    ],
)
def test_malformed_definitions_are_refused(schema):
    with pytest.raises(SchemaDefinitionError):
        check_definition(schema)


def test_one_active_version_per_code(lifestyle):
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.create(
            code="lifestyle", version=2, title_zh="x", title_en="x", schema=lifestyle.schema
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.create(
            code="lifestyle", version=1, title_zh="x", title_en="x", schema={}, active=False
        )


def test_a_new_version_replaces_the_active_one(cast, lifestyle):
    from django.apps import apps

    data = {**reference.read_questionnaire("questionnaire-lifestyle-v1.json"), "version": 2}
    assert reference.apply_questionnaire(lambda n: apps.get_model("residents", n), data)
    assert profile_selectors.active_questionnaire("lifestyle").version == 2
    lifestyle.refresh_from_db()
    with pytest.raises(DomainError) as info:
        services.submit_questionnaire_response(
            actor=cast.wang_user, resident=cast.wang, questionnaire=lifestyle, answers=GOOD
        )
    assert info.value.code == "residents.questionnaire_inactive"
