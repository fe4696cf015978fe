"""Derived profile tags (需求画像标签, seed 002 §2.1–2.3): pure rules, no Django imports.

``derive_tags`` turns plain facts about one resident on one day into a set of tag codes.
Condition tags come from the condition reference table (``ConditionType.tag``); the rest is
derived here. Tag codes are stable identifiers shared with the catalogue's eligibility rules
("diabetes", "hypertension", "postpartum", "living_alone", "disability" …); ``TAG_LABELS``
names each code in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ELDERLY_AGE = 65  # 国家基本公共卫生服务规范: 老年人 = 65 岁及以上
OLDEST_OLD_AGE = 80  # 高龄
ADULT_AGE = 18
PRESCHOOL_AGES = (3, 6)
SEDENTARY_DAYS = 3  # fewer exercise days a week than this is "sedentary"
SHORT_SLEEP_HOURS = 6

# code: (中文, English)
TAG_LABELS: dict[str, tuple[str, str]] = {
    # from conditions (ConditionType.tag)
    "hypertension": ("高血压", "Hypertension"),
    "diabetes": ("糖尿病", "Diabetes"),
    "hyperlipidaemia": ("高脂血症", "Hyperlipidaemia"),
    "obesity": ("肥胖", "Obesity"),
    "chd": ("冠心病", "Coronary heart disease"),
    "heart_failure": ("心力衰竭", "Heart failure"),
    "atrial_fibrillation": ("房颤", "Atrial fibrillation"),
    "stroke": ("脑卒中后遗症", "Stroke sequelae"),
    "copd": ("慢阻肺", "COPD"),
    "asthma": ("哮喘", "Asthma"),
    "ckd": ("慢性肾病", "Chronic kidney disease"),
    "osteoporosis": ("骨质疏松", "Osteoporosis"),
    "gout": ("痛风", "Gout"),
    "osteoarthritis": ("骨关节炎", "Osteoarthritis"),
    "cervical_spondylosis": ("颈椎病", "Cervical spondylosis"),
    "lumbar_disc": ("腰椎间盘突出", "Lumbar disc disorder"),
    "hepatitis_b": ("慢性乙肝", "Chronic hepatitis B"),
    "fatty_liver": ("脂肪肝", "Fatty liver"),
    "depression": ("抑郁症", "Depression"),
    "dementia": ("认知障碍", "Dementia"),
    "parkinsons": ("帕金森病", "Parkinson's disease"),
    "epilepsy": ("癫痫", "Epilepsy"),
    "severe_mental_disorder": ("严重精神障碍", "Severe mental disorder"),
    "cataract": ("白内障", "Cataract"),
    "glaucoma": ("青光眼", "Glaucoma"),
    "tuberculosis": ("肺结核", "Tuberculosis"),
    # derived combinations and groups
    "htn_dm": ("高血压合并糖尿病", "Hypertension with diabetes"),
    "chronic_disease": ("慢病患者", "Chronic disease"),
    "multimorbidity": ("多病共存", "Several chronic diseases"),
    "elderly": ("老年人", "Aged 65 or over"),
    "oldest_old": ("高龄老人", "Aged 80 or over"),
    "alone_elderly": ("独居高龄", "Aged 80 or over, living alone"),
    "elderly_no_caregiver": ("老人无人照护", "Elder without a carer"),
    "child": ("儿童青少年", "Child or adolescent"),
    "preschool": ("学龄前儿童", "Pre-school child (3–6)"),
    "infant": ("婴幼儿", "Infant (under 3)"),
    "pregnant": ("孕妇", "Pregnant"),
    "postpartum": ("产后", "Postpartum"),
    "living_alone": ("独居", "Living alone"),
    "disability": ("残疾", "Disability"),
    # lifestyle (questionnaire) and medication
    "smoker": ("吸烟", "Smoker"),
    "heavy_drinker": ("经常饮酒", "Drinks often"),
    "sedentary": ("运动不足", "Too little exercise"),
    "high_salt": ("高盐饮食", "Salty diet"),
    "short_sleep": ("睡眠不足", "Too little sleep"),
    "high_stress": ("压力大", "High stress"),
    "low_self_management": ("自我管理意愿低", "Unwilling to self-manage"),
    "poor_adherence": ("服药依从性差", "Poor medication adherence"),
}


@dataclass(frozen=True)
class ProfileFacts:
    """Everything the tag rules look at, as plain values."""

    age: int
    sex: str = ""  # "M" / "F"
    condition_tags: frozenset[str] = field(default_factory=frozenset)
    chronic_condition_count: int = 0
    living_alone: bool = False
    disability: str = ""  # Disability code, "" for none
    pregnant: bool = False
    postpartum: bool = False
    poor_adherence: bool = False
    # Latest answers of the lifestyle questionnaire, keyed by linkId (empty: never answered).
    lifestyle: Mapping[str, Any] = field(default_factory=dict)


def derive_tags(facts: ProfileFacts) -> frozenset[str]:
    """The tag codes ``facts`` earn; every code is a key of ``TAG_LABELS``."""
    tags: set[str] = {tag for tag in facts.condition_tags if tag}
    answers = facts.lifestyle
    living_alone = facts.living_alone or answers.get("living_alone") is True
    if {"hypertension", "diabetes"} <= tags:
        tags.add("htn_dm")
    if facts.chronic_condition_count >= 1:
        tags.add("chronic_disease")
    if facts.chronic_condition_count >= 2:
        tags.add("multimorbidity")
    tags.update(_age_tags(facts.age))
    if living_alone:
        tags.add("living_alone")
        if facts.age >= OLDEST_OLD_AGE:
            tags.add("alone_elderly")
    if facts.age >= ELDERLY_AGE and answers.get("has_caregiver") is False:
        tags.add("elderly_no_caregiver")
    if facts.disability:
        tags.add("disability")
    if facts.pregnant:
        tags.add("pregnant")
    if facts.postpartum:
        tags.add("postpartum")
    if facts.poor_adherence:
        tags.add("poor_adherence")
    tags.update(_lifestyle_tags(answers))
    return frozenset(tags)


def _age_tags(age: int) -> set[str]:
    tags: set[str] = set()
    if age >= ELDERLY_AGE:
        tags.add("elderly")
    if age >= OLDEST_OLD_AGE:
        tags.add("oldest_old")
    if age < ADULT_AGE:
        tags.add("child")
    if age < PRESCHOOL_AGES[0]:
        tags.add("infant")
    elif age <= PRESCHOOL_AGES[1]:
        tags.add("preschool")
    return tags


def _lifestyle_tags(answers: Mapping[str, Any]) -> set[str]:
    tags: set[str] = set()
    if answers.get("smoking") == "current":
        tags.add("smoker")
    if answers.get("drinking") in {"regular", "daily"}:
        tags.add("heavy_drinker")
    exercise = answers.get("exercise_days")
    if isinstance(exercise, int | float) and exercise < SEDENTARY_DAYS:
        tags.add("sedentary")
    if answers.get("salt_intake") == "heavy":
        tags.add("high_salt")
    sleep = answers.get("sleep_hours")
    if isinstance(sleep, int | float) and sleep < SHORT_SLEEP_HOURS:
        tags.add("short_sleep")
    if answers.get("stress_level") == "high":
        tags.add("high_stress")
    if answers.get("self_management") == "unwilling":
        tags.add("low_self_management")
    return tags


def tag_label(code: str, language: str = "zh-hans") -> str:
    """The label of ``code`` in ``language`` (Chinese unless it starts with "en")."""
    zh, en = TAG_LABELS.get(code, (code, code))
    return en if language.startswith("en") else zh


def labelled(codes: Iterable[str], language: str = "zh-hans") -> list[tuple[str, str]]:
    """``(code, label)`` pairs in the order of ``TAG_LABELS`` (unknown codes last)."""
    order = {code: i for i, code in enumerate(TAG_LABELS)}
    return [
        (code, tag_label(code, language))
        for code in sorted(codes, key=lambda c: (order.get(c, len(order)), c))
    ]
