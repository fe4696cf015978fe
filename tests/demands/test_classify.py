"""Classification and SLA deadlines: the pure rules, then through ``file_demand`` with the
shipped holiday table and a frozen clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from careloop.catalogue.models import Service
from careloop.demands import classify, services
from careloop.demands.classify import CRITICAL, ROUTINE, URGENT

from .conftest import NOW, SHANGHAI


@pytest.mark.parametrize(
    ("description", "tier"),
    [
        ("老伴突然心脏骤停", CRITICAL),
        ("Sudden chest pain for ten minutes", CRITICAL),
        ("胸痛，出冷汗", CRITICAL),
        ("早上起来口角歪斜", CRITICAL),
        ("说话言语不清", CRITICAL),
        ("一侧肢体无力", CRITICAL),
        ("血糖 2.8", CRITICAL),
        ("glucose 2.9 mmol/L", CRITICAL),
        ("血糖3.5", URGENT),
        ("孩子高烧不退", URGENT),
        ("acute pain in the knee", URGENT),
        ("血糖 6.1，想复查", ROUTINE),
        ("想预约体检", ROUTINE),
        ("", ROUTINE),
    ],
)
def test_tier_from_words(description, tier):
    assert classify.classify(description=description).tier == tier


def test_words_raise_a_hint_but_never_lower_it():
    assert classify.classify(description="胸痛", tier_hint=URGENT).tier == CRITICAL
    assert classify.classify(description="想预约体检", tier_hint=CRITICAL).tier == CRITICAL
    assert classify.classify(description="", tier_hint=URGENT).tier == URGENT
    with pytest.raises(ValueError):
        classify.classify(tier_hint="stat")


@pytest.mark.parametrize(
    ("kwargs", "quadrant"),
    [
        ({"description": "胸痛"}, "Q1"),
        ({"tier_hint": URGENT, "important": False}, "Q3"),
        ({"service_tier": "basic"}, "Q2"),
        ({"service_tier": "maintenance"}, "Q2"),
        ({"service_tier": "development"}, "Q4"),
        ({"description": "想学八段锦"}, "Q2"),
    ],
)
def test_quadrant(kwargs, quadrant):
    result = classify.classify(**kwargs)
    assert result.quadrant == quadrant
    assert result.urgent == (result.tier != ROUTINE)


def test_reasons_name_the_deciding_words():
    assert classify.classify(description="胸痛，血糖 2.5").reasons == ("glucose 2.5", "胸痛")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_working_days_skip_weekends_and_holidays_and_count_adjusted_days():
    friday = at(2026, 3, 6, 10, 0)
    assert classify.add_working_days(friday, 3, {}) == at(2026, 3, 11, 10, 0)
    holidays = {date(2026, 3, 9): "holiday", date(2026, 3, 7): "workday"}
    # Saturday 7th is worked (1), Monday 9th is off, Tuesday (2), Wednesday (3).
    assert classify.add_working_days(friday, 3, holidays) == at(2026, 3, 11, 10, 0)
    assert classify.add_working_days(friday, 3, {date(2026, 3, 9): "holiday"}) == at(
        2026, 3, 12, 10, 0
    )


def test_deadlines_per_tier():
    filed = at(2026, 3, 2, 9, 0)  # a Monday
    assert classify.deadlines(CRITICAL, filed, {}) == (filed, filed)
    assert classify.deadlines(URGENT, filed, {}) == (
        filed + timedelta(minutes=30),
        filed + timedelta(hours=1),
    )
    assert classify.deadlines(ROUTINE, filed, {}) == (
        filed + timedelta(hours=24),
        at(2026, 3, 5, 9, 0),
    )


@pytest.mark.parametrize(
    ("filed", "due_match"),
    [
        # Wednesday before the 2025 Labour Day holiday (1–5 May): Tue 6, Wed 7, Thu 8 May.
        (at(2025, 4, 30, 10, 0), at(2025, 5, 8, 10, 0)),
        # Friday 25 April: Sunday 27 April is an adjusted working day (1), Mon (2), Tue (3).
        (at(2025, 4, 25, 10, 0), at(2025, 4, 29, 10, 0)),
        # Thursday 12 February 2026: Fri 13, Sat 14 (adjusted working day), then the Spring
        # Festival holiday until the 23rd; Tuesday 24 February is the third working day.
        (at(2026, 2, 12, 10, 0), at(2026, 2, 24, 10, 0)),
    ],
)
def test_routine_demand_uses_the_holiday_table(cast, frozen, filed, due_match):
    frozen(filed)
    demand = services.file_demand(
        actor=cast.wang_user,
        resident=cast.wang,
        channel="resident_web",
        service=Service.objects.get(code="basic.common_illness"),
    )
    assert demand.tier == ROUTINE and demand.quadrant == "Q2"
    assert demand.due_respond_at == filed + timedelta(hours=24)
    assert demand.due_match_at == due_match


def test_critical_words_make_deadlines_now(cast, frozen):
    demand = services.file_demand(
        actor=cast.doctor_a,
        resident=cast.wang,
        channel="staff_phone",
        description="家属来电：老人口角歪斜、言语不清",
    )
    assert (demand.tier, demand.quadrant) == (CRITICAL, "Q1")
    assert demand.due_respond_at == demand.due_match_at == NOW
    assert demand.fhir_priority == "stat" and demand.fhir_status == "requested"
