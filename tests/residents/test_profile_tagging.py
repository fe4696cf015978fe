"""The derived-tag rules alone: plain facts in, tag codes out (no database)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from careloop.residents.tagging import TAG_LABELS, ProfileFacts, derive_tags, labelled, tag_label


def tags(**facts) -> frozenset[str]:
    return derive_tags(ProfileFacts(**{"age": 40, **facts}))


def test_a_healthy_adult_has_no_tag():
    assert tags() == frozenset()


def test_hypertension_with_diabetes_is_htn_dm():
    assert tags(
        condition_tags=frozenset({"hypertension", "diabetes"}), chronic_condition_count=2
    ) == {"hypertension", "diabetes", "htn_dm", "chronic_disease", "multimorbidity"}
    assert "htn_dm" not in tags(condition_tags=frozenset({"hypertension"}))


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0, {"child", "infant"}),
        (2, {"child", "infant"}),
        (3, {"child", "preschool"}),
        (6, {"child", "preschool"}),
        (7, {"child"}),
        (17, {"child"}),
        (18, set()),
        (64, set()),
        (65, {"elderly"}),
        (79, {"elderly"}),
        (80, {"elderly", "oldest_old"}),
    ],
)
def test_age_groups(age, expected):
    assert tags(age=age) == expected


@pytest.mark.parametrize(
    ("age", "alone", "expected"),
    [(79, True, False), (80, True, True), (90, False, False)],
)
def test_alone_elderly_is_living_alone_and_80_or_over(age, alone, expected):
    result = tags(age=age, living_alone=alone)
    assert ("alone_elderly" in result) is expected
    assert ("living_alone" in result) is alone


def test_questionnaire_answer_of_living_alone_counts():
    assert "alone_elderly" in tags(age=85, lifestyle={"living_alone": True})


def test_lifestyle_answers():
    answers = {
        "smoking": "current",
        "drinking": "daily",
        "exercise_days": 1,
        "salt_intake": "heavy",
        "sleep_hours": 5.5,
        "stress_level": "high",
        "self_management": "unwilling",
        "living_alone": False,
        "has_caregiver": True,
    }
    assert tags(lifestyle=answers) == {
        "smoker",
        "heavy_drinker",
        "sedentary",
        "high_salt",
        "short_sleep",
        "high_stress",
        "low_self_management",
    }
    healthy = {
        "smoking": "former",
        "drinking": "occasional",
        "exercise_days": 3,
        "salt_intake": "light",
        "sleep_hours": 7,
        "stress_level": "moderate",
    }
    assert tags(lifestyle=healthy) == frozenset()


def test_elder_without_caregiver():
    assert "elderly_no_caregiver" in tags(age=70, lifestyle={"has_caregiver": False})
    assert "elderly_no_caregiver" not in tags(age=50, lifestyle={"has_caregiver": False})


def test_pregnancy_disability_and_adherence():
    assert tags(pregnant=True, sex="F") == {"pregnant"}
    assert tags(postpartum=True, sex="F") == {"postpartum"}
    assert tags(disability="visual") == {"disability"}
    assert tags(poor_adherence=True) == {"poor_adherence"}


def test_every_derived_code_has_labels():
    everything = ProfileFacts(
        age=85,
        condition_tags=frozenset({"hypertension", "diabetes"}),
        chronic_condition_count=2,
        living_alone=True,
        disability="physical",
        pregnant=True,
        postpartum=True,
        poor_adherence=True,
        lifestyle={
            "smoking": "current",
            "drinking": "regular",
            "exercise_days": 0,
            "salt_intake": "heavy",
            "sleep_hours": 4,
            "stress_level": "high",
            "self_management": "unwilling",
            "has_caregiver": False,
        },
    )
    assert derive_tags(everything) <= set(TAG_LABELS)


def test_labels_in_chinese_and_english():
    assert tag_label("htn_dm") == "高血压合并糖尿病"
    assert tag_label("alone_elderly") == "独居高龄"
    assert tag_label("htn_dm", "en") == "Hypertension with diabetes"
    assert labelled({"htn_dm", "hypertension", "zzz"}) == [
        ("hypertension", "高血压"),
        ("htn_dm", "高血压合并糖尿病"),
        ("zzz", "zzz"),
    ]


def test_tagging_imports_no_django():
    code = (
        "import sys; import careloop.residents.tagging; "
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
