"""Referral agreements (双向转诊, 医联体) and visiting specialists' sessions (专家坐诊): the
services that create, edit, end and cancel them. A role matrix; validation errors that
write nothing; overlapping agreements and sessions; a session edit that would strand a
booked slot. Time is frozen at Monday 9 February 2026 (see ``conftest``)."""

from __future__ import annotations

from datetime import date, time

import pytest

from careloop.catalogue import services
from careloop.catalogue.models import (
    ReferralAgreement,
    Slot,
    SlotStatus,
    SpecialistSession,
    WeeklySchedule,
)
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import AuditEvent
from careloop.core.roles import Role
from tests.conftest import make_user

START = date(2026, 2, 9)


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=f"careloop.catalogue.{action}").count()


def agree(cast, net, actor=None, **fields):
    values = {"kind": "two_way", "valid_from": date(2026, 1, 1), **fields}
    return services.create_referral_agreement(
        actor=actor or cast.director, organisation=net.centre, partner=net.hospital, **values
    )


def session(cast, net, actor=None, **fields):
    values = {
        "specialty_zh": "心内科", "specialty_en": "Cardiology", "weekday": 2,
        "start_time": time(14, 0), "end_time": time(17, 0), "slot_minutes": 20,
        "valid_from": START, **fields,
    }  # fmt: skip
    return services.create_specialist_session(
        actor=actor or cast.director, host=net.centre, provider=net.cardiologist, **values
    )


# ---- role matrix --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("director", True),
        ("admin", True),
        ("health_manager", True),
        ("west_director", False),  # an editor, but of another community
        ("doctor_a", False),
        ("nurse_a", False),
        ("cashier", False),
        ("auditor", False),
        ("wang_user", False),
    ],
)
def test_role_matrix(cast, net, persona, allowed):
    if persona == "health_manager":
        actor = make_user("manager", Role.HEALTH_MANAGER, community=cast.east)
    else:
        actor = getattr(cast, persona)
    writes = (
        lambda: agree(cast, net, actor=actor),
        lambda: services.update_referral_agreement(
            actor=actor, agreement=existing, changes={"note": "改"}
        ),
        lambda: services.end_referral_agreement(
            actor=actor, agreement=existing, last_day=date(2026, 6, 30)
        ),
        lambda: session(cast, net, actor=actor, weekday=4),
        lambda: services.update_specialist_session(
            actor=actor, session=visiting, changes={"location": "专家诊室"}
        ),
        lambda: services.cancel_specialist_session(actor=actor, session=visiting),
    )
    existing = agree(cast, net, kind="remote_consultation")
    visiting = session(cast, net)
    before = AuditEvent.objects.count()
    for write in writes:
        if allowed:
            write()
        else:
            with pytest.raises(ForbiddenError):
                write()
    if not allowed:
        assert AuditEvent.objects.count() == before
        assert ReferralAgreement.objects.count() == 1
        assert SpecialistSession.objects.count() == 1
        existing.refresh_from_db()
        assert (existing.note, existing.valid_to) == ("", None)
        assert WeeklySchedule.objects.get(pk=visiting.schedule_id).active is True
    else:
        assert ReferralAgreement.objects.count() == 2
        assert SpecialistSession.objects.count() == 2


def test_the_hospital_side_is_not_the_centre_directors(cast, net):
    """The hospital has no community: only superusers sign for it or host at it."""
    with pytest.raises(ForbiddenError):
        services.create_referral_agreement(
            actor=cast.director, organisation=net.hospital, partner=net.centre,
            kind="two_way", valid_from=START,
        )  # fmt: skip
    with pytest.raises(ForbiddenError):
        services.create_specialist_session(
            actor=cast.director, host=net.hospital, provider=net.doctor, specialty_zh="全科",
            weekday=4, start_time=time(8, 0), end_time=time(9, 0), slot_minutes=30,
            valid_from=START,
        )  # fmt: skip
    assert ReferralAgreement.objects.count() == SpecialistSession.objects.count() == 0


# ---- referral agreements ------------------------------------------------------------------


def test_create_edit_and_end_an_agreement(cast, net):
    agreement = agree(cast, net, note="医联体双向转诊")
    assert (agreement.kind, agreement.valid_to, agreement.state_on(START)) == (
        "two_way", None, "active",
    )  # fmt: skip
    assert events("agreement_created") == 1

    services.update_referral_agreement(
        actor=cast.director,
        agreement=agreement,
        changes={
            "kind": "specialist_alliance",
            "valid_to": date(2026, 12, 31),
            "note": " 专科联盟 ",
        },
    )
    agreement.refresh_from_db()
    assert (agreement.kind, agreement.valid_to, agreement.note) == (
        "specialist_alliance", date(2026, 12, 31), "专科联盟",
    )  # fmt: skip
    event = AuditEvent.objects.get(action="careloop.catalogue.agreement_updated")
    assert event.detail == {"fields": ["kind", "note", "valid_to"]}

    ended = services.end_referral_agreement(actor=cast.director, agreement=agreement)
    assert ended.valid_to == START and ended.state_on(date(2026, 2, 10)) == "ended"
    assert events("agreement_ended") == 1
    with pytest.raises(ConflictError) as error:
        services.end_referral_agreement(actor=cast.director, agreement=ended)
    assert error.value.code == "catalogue.agreement_ended"
    assert events("agreement_ended") == 1


def test_upcoming_agreement_state(cast, net):
    agreement = agree(cast, net, valid_from=date(2026, 3, 1))
    assert agreement.state_on(START) == "upcoming"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"kind": "friendship"}, {"kind"}),
        ({"valid_from": date(2026, 3, 1), "valid_to": date(2026, 2, 28)}, {"valid_to"}),
        ({"note": "长" * 201}, {"note"}),
    ],
)
def test_invalid_agreement_writes_nothing(cast, net, fields, errors):
    with pytest.raises(DomainError) as error:
        agree(cast, net, **fields)
    assert error.value.code == "catalogue.invalid"
    assert set(error.value.fields) == errors
    assert ReferralAgreement.objects.count() == 0
    assert events("agreement_created") == 0


def test_agreement_with_itself_is_refused(cast, net):
    with pytest.raises(DomainError) as error:
        services.create_referral_agreement(
            actor=cast.director, organisation=net.centre, partner=net.centre,
            kind="two_way", valid_from=START,
        )  # fmt: skip
    assert set(error.value.fields) == {"partner"}
    assert ReferralAgreement.objects.count() == 0


def test_overlapping_agreement_of_the_same_kind_is_a_conflict(cast, net):
    first = agree(cast, net, valid_to=date(2026, 6, 30))
    with pytest.raises(ConflictError) as error:
        agree(cast, net, valid_from=date(2026, 6, 1))
    assert error.value.code == "catalogue.agreement_overlaps"
    # The other way round is the same pair.
    with pytest.raises(ConflictError):
        services.create_referral_agreement(
            actor=cast.admin, organisation=net.hospital, partner=net.centre, kind="two_way",
            valid_from=date(2026, 1, 1),
        )  # fmt: skip
    assert ReferralAgreement.objects.count() == 1
    # Another kind, or after the first ends, is fine.
    agree(cast, net, kind="remote_consultation")
    later = agree(cast, net, valid_from=date(2026, 7, 1))
    assert ReferralAgreement.objects.count() == 3
    # Editing the later one back into the first's time is the same conflict.
    with pytest.raises(ConflictError):
        services.update_referral_agreement(
            actor=cast.director, agreement=later, changes={"valid_from": date(2026, 6, 30)}
        )
    later.refresh_from_db()
    assert later.valid_from == date(2026, 7, 1)
    # Editing an agreement does not conflict with itself.
    services.update_referral_agreement(
        actor=cast.director, agreement=first, changes={"valid_to": date(2026, 6, 29)}
    )


def test_agreement_edit_errors_write_nothing(cast, net):
    agreement = agree(cast, net)
    before = AuditEvent.objects.count()
    for changes, field in (
        ({"organisation": net.hospital}, "organisation"),
        ({"partner": net.centre}, "partner"),
        ({"partner": "wuchang.hospital"}, "partner"),
        ({"valid_to": date(2025, 12, 31)}, "valid_to"),
        ({"valid_from": None}, "valid_from"),
    ):
        with pytest.raises(DomainError) as error:
            services.update_referral_agreement(
                actor=cast.director, agreement=agreement, changes=changes
            )
        assert field in error.value.fields
    with pytest.raises(DomainError) as error:
        services.end_referral_agreement(
            actor=cast.director, agreement=agreement, last_day=date(2025, 12, 31)
        )
    assert set(error.value.fields) == {"last_day"}
    agreement.refresh_from_db()
    assert (agreement.partner, agreement.valid_from, agreement.valid_to) == (
        net.hospital, date(2026, 1, 1), None,
    )  # fmt: skip
    assert AuditEvent.objects.count() == before


# ---- specialist sessions ------------------------------------------------------------------


def test_create_a_session_and_its_slots(cast, net):
    visiting = session(cast, net, location="专家诊室")
    schedule = visiting.schedule
    assert (schedule.organisation, schedule.mode, schedule.location) == (
        net.centre, "clinic", "专家诊室",
    )  # fmt: skip
    assert visiting.state_on(START) == "active"
    assert (events("specialist_session_created"), events("schedule_created")) == (1, 3)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"specialty_zh": "  "}, {"specialty_zh"}),
        ({"specialty_zh": "科" * 61}, {"specialty_zh"}),
        ({"end_time": time(13, 0)}, {"end_time"}),
        ({"valid_to": date(2026, 2, 8)}, {"valid_to"}),
    ],
)
def test_invalid_session_writes_nothing(cast, net, fields, errors):
    with pytest.raises(DomainError) as error:
        session(cast, net, **fields)
    assert errors <= set(error.value.fields)
    assert SpecialistSession.objects.count() == 0
    assert WeeklySchedule.objects.filter(provider=net.cardiologist).count() == 0
    assert (events("specialist_session_created"), events("schedule_created")) == (0, 2)


def test_overlapping_session_of_the_same_specialist_is_refused(cast, net):
    session(cast, net)
    with pytest.raises(DomainError) as error:
        session(cast, net, start_time=time(16, 0), end_time=time(18, 0))
    assert set(error.value.fields) == {"start_time"}
    assert SpecialistSession.objects.count() == 1
    # The same afternoon after the first ends, or another day, is fine.
    other = session(cast, net, weekday=3)
    with pytest.raises(DomainError):  # editing onto the Wednesday overlaps too
        services.update_specialist_session(
            actor=cast.director, session=other, changes={"weekday": 2}
        )
    assert WeeklySchedule.objects.get(pk=other.schedule_id).weekday == 3


def test_edit_a_session_moves_its_free_slots(cast, net):
    visiting = session(cast, net)
    services.generate_slots(actor=cast.director, start=START, days=14)
    # One Wednesday × 9: the next is in the Spring Festival holiday.
    assert Slot.objects.filter(provider=net.cardiologist).count() == 9

    services.update_specialist_session(
        actor=cast.director,
        session=visiting,
        changes={"specialty_zh": "心血管内科", "weekday": 3, "end_time": time(16, 0)},
    )
    visiting.refresh_from_db()
    assert visiting.specialty_zh == "心血管内科"
    assert (visiting.weekday, visiting.end_time) == (3, time(16, 0))
    assert Slot.objects.filter(provider=net.cardiologist).count() == 0
    services.generate_slots(actor=cast.director, start=START, days=14)
    thursdays = Slot.objects.filter(provider=net.cardiologist)
    assert thursdays.count() == 6 and {s.start.date() for s in thursdays} == {date(2026, 2, 12)}
    event = AuditEvent.objects.get(action="careloop.catalogue.specialist_session_updated")
    assert event.detail == {"fields": ["end_time", "specialty_zh", "weekday"], "slots_dropped": 9}


def test_edit_that_strands_a_booking_is_a_conflict(cast, net):
    visiting = session(cast, net)
    services.generate_slots(actor=cast.director, start=START, days=14)
    booked = Slot.objects.filter(provider=net.cardiologist).order_by("start").first()
    services.book_slot(actor=cast.director, slot=booked, resident=cast.wang)
    before = AuditEvent.objects.count()
    for changes in (
        {"weekday": 3},
        {"start_time": time(15, 0)},
        {"valid_to": date(2026, 2, 10)},  # the booked Wednesday is the 11th
    ):
        with pytest.raises(ConflictError) as error:
            services.update_specialist_session(
                actor=cast.director, session=visiting, changes=changes
            )
        assert error.value.code == "catalogue.session_booked"
    assert Slot.objects.filter(provider=net.cardiologist).count() == 9
    assert AuditEvent.objects.count() == before
    # The specialty and a later end stay possible.
    services.update_specialist_session(
        actor=cast.director,
        session=visiting,
        changes={"specialty_en": "Cardiology clinic", "valid_to": date(2026, 2, 11)},
    )
    assert list(Slot.objects.filter(provider=net.cardiologist)) == [booked]


def test_cancel_a_session(cast, net):
    visiting = session(cast, net)
    services.generate_slots(actor=cast.director, start=START, days=14)
    booked = Slot.objects.filter(provider=net.cardiologist).order_by("start").first()
    services.book_slot(actor=cast.director, slot=booked, resident=cast.wang)

    left = services.cancel_specialist_session(actor=cast.director, session=visiting)
    assert left == 1
    visiting.refresh_from_db()
    assert visiting.state_on(START) == "cancelled"
    slots = Slot.objects.filter(provider=net.cardiologist)
    assert slots.filter(status=SlotStatus.OPEN).get() == booked
    assert slots.filter(status=SlotStatus.CLOSED).count() == 8
    again = services.generate_slots(actor=None, provider=net.cardiologist, start=START, days=21)
    assert again.created == 0

    with pytest.raises(ConflictError):
        services.cancel_specialist_session(actor=cast.director, session=visiting)
    with pytest.raises(ConflictError) as error:
        services.update_specialist_session(
            actor=cast.director, session=visiting, changes={"location": "诊室"}
        )
    assert error.value.code == "catalogue.session_cancelled"
    assert events("specialist_session_cancelled") == 1
    # The specialist is free on Wednesdays again.
    session(cast, net)
