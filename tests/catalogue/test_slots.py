from datetime import date, datetime, time, timedelta

import pytest

from careloop.catalogue import services
from careloop.catalogue.models import Slot, SlotStatus
from careloop.catalogue.selectors import free_slots, provider_week
from careloop.catalogue.tasks import generate_slots_ahead
from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import AuditEvent

from .conftest import SHANGHAI, svc

START = date(2026, 2, 9)  # Monday; Spring Festival 15–23 Feb, working Saturdays 14 and 28 Feb


def local_days(slots):
    return sorted({s.start.astimezone(SHANGHAI).date() for s in slots})


def test_generation_respects_holidays_and_adjusted_working_days(cast, net):
    result = services.generate_slots(actor=cast.director, start=START, days=21)
    doctor = Slot.objects.filter(provider=net.doctor)
    # Mondays 16 and 23 Feb are holidays; Saturdays 14 and 28 Feb work with Monday's schedule.
    assert local_days(doctor) == [date(2026, 2, 9), date(2026, 2, 14), date(2026, 2, 28)]
    assert doctor.count() == 3 * 8
    yoga = Slot.objects.filter(provider=net.therapist)
    assert local_days(yoga) == [date(2026, 2, 11), date(2026, 2, 25)]  # 18 Feb is a holiday
    assert result == services.GenerationResult(created=30, existing=0)
    first = doctor.order_by("start").first()
    assert first.start.astimezone(SHANGHAI) == datetime(2026, 2, 9, 8, 30, tzinfo=SHANGHAI)
    assert first.end - first.start == timedelta(minutes=30)
    assert (first.capacity, first.mode, first.location) == (1, "clinic", "全科诊室2")
    assert first.organisation == net.centre


def test_generation_is_idempotent(cast, net):
    services.generate_slots(actor=cast.director, start=START, days=21)
    audits = AuditEvent.objects.filter(action="careloop.catalogue.slots_generated").count()
    again = services.generate_slots(actor=cast.director, start=START, days=28)
    assert again.existing == 30 and again.created == Slot.objects.count() - 30
    third = services.generate_slots(actor=None, start=START, days=28)
    assert third.created == 0
    assert (
        AuditEvent.objects.filter(action="careloop.catalogue.slots_generated").count() == audits + 1
    )


def test_slots_carry_their_services(cast, net):
    services.generate_slots(actor=cast.director, start=START, days=3)
    yoga_slot = Slot.objects.filter(provider=net.therapist).first()
    assert [s.code for s in yoga_slot.services.all()] == ["development.yoga_class"]
    doctor_slot = Slot.objects.filter(provider=net.doctor).first()
    assert {s.code for s in doctor_slot.services.all()} == {
        "basic.common_illness",
        "basic.chronic_refill",
        "maintenance.diabetic_foot_screening",
    }  # fmt: skip (empty schedule services: everything the provider offers)


def test_leave_before_generation_skips_the_days(cast, net):
    services.add_schedule_exception(
        actor=cast.director, provider=net.therapist, start_date=date(2026, 2, 25),
        end_date=date(2026, 2, 27), reason="leave",
    )  # fmt: skip
    services.generate_slots(actor=cast.director, start=START, days=21)
    assert local_days(Slot.objects.filter(provider=net.therapist)) == [date(2026, 2, 11)]


def test_leave_after_generation_closes_free_slots_and_reports_booked_ones(cast, net):
    services.generate_slots(actor=cast.director, start=START, days=21)
    slots = list(Slot.objects.filter(provider=net.therapist).order_by("start"))
    booked = slots[-1]
    services.book_slot(actor=cast.director, slot=booked, resident=cast.zhao)
    _exception, affected = services.add_schedule_exception(
        actor=cast.director, provider=net.therapist, start_date=date(2026, 2, 25),
        end_date=date(2026, 2, 25),
    )  # fmt: skip
    assert affected == [booked]
    statuses = {s.pk: s.status for s in Slot.objects.filter(provider=net.therapist)}
    assert statuses[booked.pk] == SlotStatus.OPEN
    assert [statuses[s.pk] for s in slots] == ["open", "open", "open", "closed", "closed", "open"]


def test_schedule_running_on_holidays(cast, net):
    services.create_weekly_schedule(
        actor=cast.director, provider=net.volunteer, weekday=0, start_time=time(9, 0),
        end_time=time(11, 0), slot_minutes=60, mode="home", valid_from=START,
        runs_on_holidays=True,
    )  # fmt: skip
    services.generate_slots(actor=cast.director, provider=net.volunteer, start=START, days=21)
    # Runs on the holiday Mondays too, and (as Monday's schedule) on the working Saturdays.
    assert local_days(Slot.objects.filter(provider=net.volunteer)) == [
        date(2026, 2, 9), date(2026, 2, 14), date(2026, 2, 16), date(2026, 2, 23),
        date(2026, 2, 28),
    ]  # fmt: skip


def test_past_times_are_not_generated(cast, net, frozen):
    frozen(datetime(2026, 2, 9, 10, 0, tzinfo=SHANGHAI))
    services.generate_slots(actor=cast.director, provider=net.doctor, start=START, days=1)
    assert Slot.objects.count() == 4  # 10:30 … 12:00; a slot starting now is not offered


def test_schedule_validation(cast, net):
    with pytest.raises(DomainError) as exc:
        services.create_weekly_schedule(
            actor=cast.director, provider=net.doctor, weekday=0, start_time=time(11, 0),
            end_time=time(13, 0), slot_minutes=30, mode="home", capacity=2, valid_from=START,
        )  # fmt: skip
    assert set(exc.value.fields) == {"capacity", "start_time"}  # home=1 place; overlaps Monday


def test_other_community_cannot_manage_schedules(cast, net):
    with pytest.raises(ForbiddenError):
        services.generate_slots(actor=cast.west_director, provider=net.doctor, start=START, days=7)
    assert services.generate_slots(actor=cast.west_director, start=START, days=7).created == 0
    with pytest.raises(ForbiddenError):
        services.add_schedule_exception(
            actor=cast.west_director, provider=net.doctor, start_date=START, end_date=START
        )
    with pytest.raises(ForbiddenError):  # a family doctor is not an editor
        services.create_weekly_schedule(
            actor=cast.doctor_a, provider=net.doctor, weekday=3, start_time=time(8, 0),
            end_time=time(9, 0), slot_minutes=30, mode="clinic", valid_from=START,
        )  # fmt: skip
    assert Slot.objects.count() == 0


def test_specialist_session_at_the_centre(cast, net):
    session = services.create_specialist_session(
        actor=cast.director, host=net.centre, provider=net.cardiologist, specialty_zh="心内科",
        specialty_en="Cardiology", weekday=2, start_time=time(14, 0), end_time=time(17, 0),
        slot_minutes=20, valid_from=START,
    )  # fmt: skip
    assert (session.weekday, session.start_time) == (2, time(14, 0))
    services.generate_slots(actor=cast.director, start=START, days=7)
    cardio = Slot.objects.filter(provider=net.cardiologist)
    assert cardio.count() == 9 and {s.organisation for s in cardio} == {net.centre}
    assert {s.code for s in cardio.first().services.all()} == {"basic.specialist_clinic"}


def test_end_weekly_schedule_closes_later_free_slots(cast, net):
    services.generate_slots(actor=cast.director, start=START, days=21)
    left = services.end_weekly_schedule(
        actor=cast.director, schedule=net.clinic_monday, last_day=date(2026, 2, 14)
    )
    assert left == 0
    open_days = local_days(Slot.objects.filter(provider=net.doctor, status="open"))
    assert open_days == [date(2026, 2, 9), date(2026, 2, 14)]


def test_nightly_task_generates_four_weeks(cast, net):
    assert generate_slots_ahead.call_local() == Slot.objects.count() > 0
    assert generate_slots_ahead.call_local() == 0


def test_free_slots_and_provider_week(cast, net):
    services.generate_slots(actor=cast.director, start=START, days=21)
    found = free_slots(
        cast.wang_user, start=START, end=date(2026, 2, 15),
        service=svc("development.yoga_class"), mode="group",
    )  # fmt: skip
    assert [s.provider for s in found] == [net.therapist] * 3
    first = found[0]
    services.book_slot(actor=cast.director, slot=first, resident=cast.zhao)
    services.book_slot(actor=cast.director, slot=first, resident=cast.wang)
    services.book_slot(actor=cast.director, slot=first, resident=cast.li)
    assert first not in list(free_slots(cast.wang_user, start=START, end=date(2026, 2, 15)))

    week = provider_week(cast.director, net.therapist, START)
    wednesday = week.days[2]
    assert (wednesday.capacity, wednesday.booked, round(wednesday.load, 2)) == (9, 3, 0.33)
    assert [len(d.slots) for d in week.days] == [0, 0, 3, 0, 0, 0, 0]
    doctor_week = provider_week(cast.director, net.doctor, START)
    assert [len(d.slots) for d in doctor_week.days] == [8, 0, 0, 0, 0, 8, 0]
