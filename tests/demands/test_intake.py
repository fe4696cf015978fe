"""The system intake channels: package services falling due, and the needs named in the
needs-review questionnaire after a life event or a quarterly review. Each files
system-suggested demands once, however often it runs."""

from __future__ import annotations

from datetime import date

import pytest

from careloop.catalogue.models import Package, Service
from careloop.catalogue.services import enrol_resident, record_delivery
from careloop.demands import services
from careloop.demands.models import Demand, DemandEvent
from careloop.demands.services.intake import (
    DUE_HORIZON_DAYS,
    file_demands_from_answers,
    file_package_due_demands,
)
from careloop.residents import services as resident_services
from careloop.residents.models import Questionnaire, ReviewInvitation
from careloop.residents.services.events import invite_periodic_reviews, record_life_event

from .conftest import written

ENROLLED = date(2026, 1, 5)
TODAY = date(2026, 2, 9)
# Wang (76, hypertension) in the elderly package: everything recurring is due on the day she
# was enrolled (never delivered); the items she is not eligible for are left out.
WANG_DUE = {
    "basic.elder_checkup", "maintenance.hypertension_management",
    "maintenance.bp_monitoring", "maintenance.medication_guidance",
    "maintenance.cognitive_screening", "basic.one_key_call",
    "development.smart_device_teaching",
}  # fmt: skip


def svc(code: str) -> Service:
    return Service.objects.get(code=code)


def codes(demands) -> set[str]:
    return {d.service.code for d in demands}


@pytest.fixture
def enrolled(cast, frozen):
    resident_services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    return enrol_resident(
        actor=cast.doctor_a,
        resident=cast.wang,
        package=Package.objects.get(code="package.elderly"),
        enrolled_on=ENROLLED,
    )


# ---- package_due ----------------------------------------------------------------------------


def test_due_package_services_become_suggested_demands_once(cast, enrolled):
    assert file_package_due_demands() == len(WANG_DUE)
    demands = list(Demand.objects.select_related("service"))
    assert codes(demands) == WANG_DUE
    for demand in demands:
        assert (demand.resident, demand.channel, demand.filed_by) == (
            cast.wang,
            "package_due",
            None,
        )
        assert demand.system_suggested is True and demand.resident_confirmed is None
        assert demand.idempotency_key == (
            f"due:{enrolled.public_id}:{demand.service.pk}:{ENROLLED:%Y%m%d}"
        )
        assert demand.source_ref == f"due:{demand.service.code}:{ENROLLED.isoformat()}"
    before = written()
    assert file_package_due_demands() == 0
    assert file_package_due_demands(today=date(2026, 2, 10)) == 0
    assert written() == before


def test_an_open_demand_for_the_service_is_not_filed_again(cast, enrolled):
    own = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web",
        service=svc("maintenance.bp_monitoring"),
    )  # fmt: skip
    assert file_package_due_demands() == len(WANG_DUE) - 1
    assert list(Demand.objects.filter(service__code="maintenance.bp_monitoring")) == [own]


def test_a_declined_suggestion_is_not_suggested_again_for_the_same_due_date(cast, enrolled):
    file_package_due_demands()
    checkup = Demand.objects.get(service__code="basic.elder_checkup")
    services.confirm_suggested_demand(actor=cast.wang_user, demand=checkup, confirmed=False)
    checkup.refresh_from_db()
    assert checkup.status == "withdrawn"
    assert file_package_due_demands(today=date(2026, 2, 12)) == 0
    assert Demand.objects.filter(service__code="basic.elder_checkup").count() == 1


@pytest.mark.parametrize(
    ("delivered_on", "filed"),
    [
        (date(2026, 1, 12), True),  # due 12 February: within the week ahead
        (date(2026, 1, 20), False),  # due 20 February: later
    ],
)
def test_services_due_within_the_horizon_are_filed(cast, enrolled, delivered_on, filed):
    assert DUE_HORIZON_DAYS == 7
    record_delivery(
        actor=cast.nurse_a, resident=cast.wang, service=svc("maintenance.bp_monitoring"),
        delivered_on=delivered_on,
    )  # fmt: skip
    file_package_due_demands()
    bp = Demand.objects.filter(service__code="maintenance.bp_monitoring")
    assert bp.exists() is filed
    if filed:
        assert bp.get().idempotency_key.endswith(":20260212")


def test_ended_enrolments_file_nothing(cast, enrolled):
    from careloop.catalogue.services import end_enrolment

    end_enrolment(actor=cast.doctor_a, enrolment=enrolled)
    assert file_package_due_demands() == 0
    assert not Demand.objects.exists()


def test_package_due_reads_in_batches(cast, enrolled, django_assert_num_queries):
    file_package_due_demands()
    with django_assert_num_queries(9) as one_resident:
        assert file_package_due_demands() == 0
    # Two more residents in two more packages: the same reads.
    enrol_resident(
        actor=cast.doctor_b, resident=cast.zhao, package=Package.objects.get(code="package.working")
    )
    enrol_resident(
        actor=cast.doctor_a, resident=cast.li, package=Package.objects.get(code="package.child")
    )
    assert file_package_due_demands() > 0
    with django_assert_num_queries(len(one_resident.captured_queries)):
        assert file_package_due_demands() == 0


# ---- life_event / periodic_review -----------------------------------------------------------


def needs_review() -> Questionnaire:
    return Questionnaire.objects.get(code="needs-review", active=True)


NO = {
    "bp": False, "glucose": False, "home_nursing": False, "rehab": False,
    "medication": False, "lonely": False, "checkup": False,
}  # fmt: skip


def answer(actor, resident, **yes):
    return resident_services.submit_questionnaire_response(
        actor=actor, resident=resident, questionnaire=needs_review(), answers={**NO, **yes}
    )


@pytest.fixture
def discharged(cast, frozen):
    return record_life_event(
        actor=cast.doctor_a, resident=cast.wang, kind="discharge", occurred_on=date(2026, 2, 6)
    )


def test_yes_answers_after_a_life_event_file_confirmed_demands(cast, discharged):
    response = answer(cast.wang_user, cast.wang, bp=True, medication="是", child_vision=False)
    demands = list(Demand.objects.select_related("service").order_by("id"))
    assert codes(demands) == {"maintenance.bp_monitoring", "maintenance.medication_guidance"}
    for demand in demands:
        assert (demand.channel, demand.filed_by, demand.system_suggested) == (
            "life_event", None, True,
        )  # fmt: skip
        assert demand.resident_confirmed is True
        assert demand.source_ref == f"review:{response.public_id}"
        confirm = DemandEvent.objects.get(demand=demand, action="confirm")
        assert confirm.actor == cast.wang_user
    invitation = ReviewInvitation.objects.get(life_event=discharged)
    assert (invitation.response, invitation.answered_at) == (response, response.submitted_at)
    # Filing the same response again files nothing.
    before = written()
    file_demands_from_answers(response)
    assert written() == before


def test_no_answers_file_nothing_but_close_the_invitation(cast, discharged):
    before = written()
    response = answer(cast.wang_user, cast.wang)
    assert written()[:2] == before[:2]
    assert ReviewInvitation.objects.get().response == response


def test_the_quarterly_review_files_on_its_own_channel(cast, frozen):
    assert invite_periodic_reviews() == 1  # wang is 76
    answer(cast.wang_user, cast.wang, lonely=True)
    demand = Demand.objects.get()
    assert (demand.service.code, demand.channel) == (
        "maintenance.living_alone_visit", "periodic_review",
    )  # fmt: skip
    assert ReviewInvitation.objects.get().answered_at is not None


def test_a_health_manager_answers_in_a_home_interview(cast, discharged):
    response = answer(
        cast.nurse_a, cast.wang, home_nursing=True, other_needs="想请人陪同去医院复查"
    )
    assert response.on_behalf is True
    demands = list(Demand.objects.order_by("id"))
    assert [(d.service.code if d.service else "", d.description) for d in demands] == [
        ("maintenance.home_nursing", ""),
        ("", "想请人陪同去医院复查"),
    ]
    assert all(d.resident_confirmed is True for d in demands)
    assert all(
        DemandEvent.objects.get(demand=d, action="confirm").actor == cast.nurse_a for d in demands
    )


def test_services_outside_the_residents_age_and_open_ones_are_skipped(cast, discharged):
    services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web",
        service=svc("maintenance.bp_monitoring"),
    )  # fmt: skip
    answer(cast.wang_user, cast.wang, bp=True, child_vision=True, checkup=True)
    suggested = Demand.objects.filter(system_suggested=True)
    assert codes(suggested) == {"basic.elder_checkup"}


def test_a_guardian_answers_for_a_child(cast, frozen):
    record_life_event(
        actor=cast.wang_user, resident=cast.li, kind="moved", occurred_on=date(2026, 2, 1)
    )
    answer(cast.wang_user, cast.li, child_vision=True, checkup=True)
    demand = Demand.objects.get()  # the elders' check-up is not for a ten-year-old
    assert (demand.resident, demand.service.code, demand.channel) == (
        cast.li, "maintenance.child_vision_screening", "life_event",
    )  # fmt: skip
    assert demand.resident_confirmed is True


def test_the_lifestyle_questionnaire_files_nothing(cast, frozen):
    lifestyle = Questionnaire.objects.get(code="lifestyle", active=True)
    resident_services.submit_questionnaire_response(
        actor=cast.wang_user, resident=cast.wang, questionnaire=lifestyle,
        answers={"diet": "balanced", "salt_intake": "heavy", "exercise_days": 1,
                 "sleep_hours": 6, "smoking": "never", "drinking": "never",
                 "stress_level": "low", "living_alone": False, "has_caregiver": True,
                 "self_management": "willing"},
    )  # fmt: skip
    assert not Demand.objects.exists()


def test_the_daily_tasks_run_the_services(cast, enrolled):
    from careloop.demands import tasks_intake

    assert tasks_intake.file_due_package_services.call_local() == len(WANG_DUE)
    assert tasks_intake.file_due_package_services.call_local() == 0
    assert tasks_intake.invite_quarterly_reviews.call_local() == 1  # wang is 76
    assert tasks_intake.invite_quarterly_reviews.call_local() == 0
