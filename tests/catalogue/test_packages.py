from datetime import date

import pytest

from careloop.catalogue import frequency
from careloop.catalogue.due import due_services
from careloop.catalogue.facts import register_tag_provider, unregister_tag_provider
from careloop.catalogue.models import Enrolment, EnrolmentItemState, EnrolmentStatus, Package
from careloop.catalogue.services import end_enrolment, enrol_resident, record_delivery
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent

from .conftest import svc

ENROLLED = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("start", "count", "unit", "expected"),
    [
        (date(2026, 1, 31), 1, "month", date(2026, 2, 28)),
        (date(2024, 1, 31), 1, "month", date(2024, 2, 29)),
        (date(2026, 11, 15), 3, "month", date(2027, 2, 15)),
        (date(2024, 2, 29), 1, "year", date(2025, 2, 28)),
        (date(2026, 1, 1), 2, "week", date(2026, 1, 15)),
        (date(2026, 1, 1), 10, "day", date(2026, 1, 11)),
    ],
)
def test_add_interval(start, count, unit, expected):
    assert frequency.add_interval(start, count, unit) == expected


def test_next_due_rules():
    kw = {"count": 1, "enrolled_on": ENROLLED}
    assert frequency.next_due(unit="month", last_delivered=None, **kw) == ENROLLED
    assert frequency.next_due(unit="month", last_delivered=date(2026, 1, 20), **kw) == date(
        2026, 2, 20
    )
    assert frequency.next_due(unit="once", last_delivered=None, **kw) == ENROLLED
    assert frequency.next_due(unit="once", last_delivered=date(2026, 1, 6), **kw) is None
    assert frequency.next_due(unit="on_request", last_delivered=None, **kw) is None


@pytest.fixture
def hypertensive_wang(cast):
    def tags(resident):
        return {"hypertension"} if resident.pk == cast.wang.pk else set()

    register_tag_provider(tags)
    yield cast.wang
    unregister_tag_provider(tags)


@pytest.fixture
def enrolment(cast, frozen, hypertensive_wang):
    return enrol_resident(
        actor=cast.doctor_a,
        resident=hypertensive_wang,
        package=Package.objects.get(code="package.elderly"),
        enrolled_on=ENROLLED,
    )


def codes(due):
    return {d.service.code for d in due}


def test_enrolment_creates_item_states_and_audits(enrolment):
    assert enrolment.status == EnrolmentStatus.ACTIVE
    assert enrolment.item_states.count() == enrolment.package.items.count() == 18
    assert AuditEvent.objects.filter(action="careloop.catalogue.enrolled").count() == 1


def test_due_services_skips_ineligible_and_on_request_items(cast, enrolment):
    due = due_services(cast.wang, on=date(2026, 2, 9))
    assert codes(due) == {
        "basic.elder_checkup", "maintenance.hypertension_management",
        "maintenance.bp_monitoring", "maintenance.medication_guidance",
        "maintenance.cognitive_screening", "basic.one_key_call",
        "development.smart_device_teaching",
    }  # fmt: skip
    assert {d.due_date for d in due} == {ENROLLED}
    assert all(d.is_overdue(date(2026, 2, 9)) for d in due)


def test_record_delivery_moves_the_due_date(cast, enrolment):
    assert record_delivery(
        actor=cast.nurse_a, resident=cast.wang, service=svc("maintenance.bp_monitoring"),
        delivered_on=date(2026, 1, 20),
    ) == 1  # fmt: skip
    record_delivery(
        actor=cast.nurse_a, resident=cast.wang, service=svc("basic.one_key_call"),
        delivered_on=date(2026, 1, 6),
    )  # fmt: skip
    due = due_services(cast.wang, on=date(2026, 2, 9))
    assert "maintenance.bp_monitoring" not in codes(due)
    assert "basic.one_key_call" not in codes(due)  # a once item is done
    ahead = {
        d.service.code: d.due_date
        for d in due_services(cast.wang, on=date(2026, 2, 9), horizon_days=14)
    }
    assert ahead["maintenance.bp_monitoring"] == date(2026, 2, 20)
    assert "basic.one_key_call" not in ahead
    state = EnrolmentItemState.objects.get(
        enrolment=enrolment, item__service__code="maintenance.bp_monitoring"
    )
    assert (state.last_delivered_on, state.delivered_count) == (date(2026, 1, 20), 1)


def test_an_earlier_delivery_does_not_move_the_date_back(cast, enrolment):
    bp = svc("maintenance.bp_monitoring")
    record_delivery(
        actor=cast.nurse_a, resident=cast.wang, service=bp, delivered_on=date(2026, 2, 1)
    )
    record_delivery(
        actor=cast.nurse_a, resident=cast.wang, service=bp, delivered_on=date(2026, 1, 10)
    )
    state = EnrolmentItemState.objects.get(enrolment=enrolment, item__service=bp)
    assert (state.last_delivered_on, state.delivered_count) == (date(2026, 2, 1), 2)


def test_no_delivery_in_the_future(cast, enrolment):
    with pytest.raises(DomainError) as exc:
        record_delivery(
            actor=cast.nurse_a, resident=cast.wang, service=svc("maintenance.bp_monitoring"),
            delivered_on=date(2026, 3, 1),
        )  # fmt: skip
    assert "delivered_on" in exc.value.fields


def test_one_active_enrolment_per_package(cast, enrolment):
    with pytest.raises(ConflictError) as exc:
        enrol_resident(actor=cast.director, resident=cast.wang, package=enrolment.package)
    assert exc.value.code == "catalogue.already_enrolled"
    assert Enrolment.objects.count() == 1


def test_ended_enrolment_stops_due_services_and_allows_re_enrolment(cast, enrolment):
    end_enrolment(actor=cast.doctor_a, enrolment=enrolment, reason="moved away")
    assert due_services(cast.wang, on=date(2026, 2, 9)) == []
    with pytest.raises(ConflictError):
        end_enrolment(actor=cast.doctor_a, enrolment=enrolment)
    again = enrol_resident(actor=cast.doctor_a, resident=cast.wang, package=enrolment.package)
    assert again.enrolled_on == date(2026, 2, 9)


def test_package_eligibility_is_checked(cast, frozen):
    with pytest.raises(DomainError) as exc:  # zhao is 37: not in the elderly package
        enrol_resident(
            actor=cast.doctor_b, resident=cast.zhao,
            package=Package.objects.get(code="package.elderly"),
        )  # fmt: skip
    assert exc.value.code == "catalogue.not_eligible"
    assert Enrolment.objects.count() == 0


def test_who_may_enrol(cast, frozen):
    elderly = Package.objects.get(code="package.elderly")
    with pytest.raises(NotFoundError):  # a cashier cannot see residents at all
        enrol_resident(actor=cast.cashier, resident=cast.wang, package=elderly)
    with pytest.raises(NotFoundError):  # doctor_b is not in wang's care team
        enrol_resident(actor=cast.doctor_b, resident=cast.wang, package=elderly)
    with pytest.raises(ForbiddenError):  # a resident sees herself but may not enrol
        enrol_resident(actor=cast.wang_user, resident=cast.wang, package=elderly)
    assert Enrolment.objects.count() == 0
