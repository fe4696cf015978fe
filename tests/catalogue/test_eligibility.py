from datetime import date

import pytest

from careloop.catalogue.eligibility import (
    EligibilityRules,
    ResidentFacts,
    age_on,
    ineligibility_reasons,
    is_eligible,
)
from careloop.catalogue.facts import record_tags, register_tag_provider, unregister_tag_provider
from careloop.catalogue.models import Service
from careloop.catalogue.selectors import services_for_resident
from careloop.residents import services as resident_services

MAN_30 = ResidentFacts(age=30, sex="M")


def rules(code: str) -> EligibilityRules:
    return Service.objects.get(code=code).eligibility


def test_age_on_counts_whole_years():
    assert age_on(date(1990, 6, 15), date(2020, 6, 14)) == 29
    assert age_on(date(1990, 6, 15), date(2020, 6, 15)) == 30
    assert age_on(date(2000, 2, 29), date(2021, 2, 28)) == 20
    assert age_on(date(2000, 2, 29), date(2021, 3, 1)) == 21


def test_rules_report_every_reason():
    strict = EligibilityRules(min_age=40, max_age=50, sex="F", required_tags=frozenset({"a", "b"}))
    assert ineligibility_reasons(strict, ResidentFacts(30, "M", frozenset({"a"}))) == [
        "too_young", "sex", "tag:b",
    ]  # fmt: skip
    assert ineligibility_reasons(strict, ResidentFacts(60, "F", frozenset({"a", "b"}))) == [
        "too_old"
    ]
    assert is_eligible(strict, ResidentFacts(45, "F", frozenset({"a", "b", "c"})))
    assert EligibilityRules().is_open and is_eligible(EligibilityRules(), MAN_30)


def test_a_30_year_old_man_is_not_offered_postpartum_rehabilitation(db):
    assert not is_eligible(rules("maintenance.postpartum_rehab"), MAN_30)
    assert not is_eligible(
        rules("maintenance.postpartum_rehab"), ResidentFacts(30, "M", frozenset({"postpartum"}))
    )
    assert is_eligible(
        rules("maintenance.postpartum_rehab"), ResidentFacts(30, "F", frozenset({"postpartum"}))
    )


@pytest.mark.parametrize(
    ("code", "facts", "expected"),
    [
        (
            "maintenance.diabetic_foot_screening",
            ResidentFacts(58, "M", frozenset({"diabetes"})),
            True,
        ),
        ("maintenance.diabetic_foot_screening", ResidentFacts(58, "M"), False),
        ("basic.elder_checkup", ResidentFacts(65, "F"), True),
        ("basic.elder_checkup", ResidentFacts(64, "F"), False),
        ("basic.child_checkup", ResidentFacts(6, "M"), True),
        ("basic.child_checkup", ResidentFacts(7, "M"), False),
        ("maintenance.breast_cancer_screening", ResidentFacts(45, "M"), False),
        ("maintenance.breast_cancer_screening", ResidentFacts(45, "F"), True),
        ("maintenance.living_alone_visit", ResidentFacts(80, "F"), False),
        (
            "maintenance.living_alone_visit",
            ResidentFacts(80, "F", frozenset({"living_alone"})),
            True,
        ),
        ("basic.medical_fee_relief", ResidentFacts(40, "M", frozenset({"low_income"})), True),
        ("basic.common_illness", ResidentFacts(0, "F"), True),
    ],
)
def test_shipped_rules(db, code, facts, expected):
    assert is_eligible(rules(code), facts) is expected


def test_services_for_resident_uses_record_and_injected_tags(cast):
    # zhao: man born 1988-02-14, so 37 on the day of the test below.
    on = date(2026, 1, 10)
    offered = {s.code for s in services_for_resident(cast.zhao, on=on, tag_providers=[])}
    assert "maintenance.postpartum_rehab" not in offered
    assert "maintenance.diabetic_foot_screening" not in offered
    assert "basic.elder_checkup" not in offered
    assert "basic.common_illness" in offered and "development.eap_counselling" in offered

    diabetic = {
        s.code
        for s in services_for_resident(cast.zhao, on=on, tag_providers=[lambda r: {"diabetes"}])
    }
    assert "maintenance.diabetic_foot_screening" in diabetic
    assert "maintenance.diabetes_management" in diabetic


def test_registered_tag_provider_is_used_by_default(cast):
    def diabetes(resident):
        return {"diabetes"} if resident.pk == cast.zhao.pk else set()

    register_tag_provider(diabetes)
    try:
        assert "maintenance.diabetic_foot_screening" in {
            s.code for s in services_for_resident(cast.zhao)
        }
        assert "maintenance.diabetic_foot_screening" not in {
            s.code for s in services_for_resident(cast.wang)
        }
    finally:
        unregister_tag_provider(diabetes)


def test_elder_living_alone_gets_elder_services(cast):
    wang = resident_services.update_resident(
        actor=cast.director, resident=cast.wang, changes={"living_alone": True}
    )
    assert record_tags(wang) == {"living_alone"}
    offered = {s.code for s in services_for_resident(wang, on=date(2026, 1, 10), tag_providers=[])}
    assert {"basic.elder_checkup", "maintenance.living_alone_visit"} <= offered
    assert "maintenance.breast_cancer_screening" not in offered  # 76 is past the 35-64 range
    assert "basic.child_checkup" not in offered
