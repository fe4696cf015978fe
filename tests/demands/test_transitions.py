"""The demand lifecycle: legal moves, illegal ones refused (409) writing nothing, idempotent
retries, permissions, and scheduling into a slot through ``book_slot``."""

from __future__ import annotations

from datetime import date

import pytest

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Booking, BookingStatus, Slot
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.demands import services
from careloop.demands.models import FHIR_TASK_STATUS, DemandEvent, DemandStatus
from careloop.demands.services import TRANSITIONS
from tests.catalogue.conftest import net  # noqa: F401 (fixture)

from .conftest import NOW, written


@pytest.fixture
def demand(cast, frozen):
    return services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="想量血压"
    )


@pytest.fixture
def slot(cast, net):  # noqa: F811
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=3)
    # Monday's 08:30 clinic slot: one place, after the frozen 08:00.
    return Slot.objects.filter(provider=net.doctor).order_by("start").first()


def test_the_happy_path(cast, demand, slot):
    doctor = cast.doctor_a
    services.accept_demand(actor=doctor, demand=demand)
    assert (demand.status, demand.accepted_by, demand.accepted_at) == ("accepted", doctor, NOW)
    services.schedule_demand(actor=doctor, demand=demand, slot=slot)
    assert demand.status == "scheduled" and demand.booking.slot == slot
    slot.refresh_from_db()
    assert slot.booked_count == 1
    services.start_demand(actor=doctor, demand=demand)
    services.complete_demand(actor=doctor, demand=demand)
    demand.refresh_from_db()
    assert (demand.status, demand.completed_at) == ("completed", NOW)
    history = list(demand.events.values_list("action", "from_status", "to_status"))
    assert history == [
        ("file", "", "submitted"),
        ("accept", "submitted", "accepted"),
        ("schedule", "accepted", "scheduled"),
        ("start", "scheduled", "in_progress"),
        ("complete", "in_progress", "completed"),
    ]
    actions = AuditEvent.objects.filter(object_id=demand.public_id).values_list("action", flat=True)
    assert set(actions) == {
        "careloop.demand.filed", "careloop.demand.accepted", "careloop.demand.scheduled",
        "careloop.demand.started", "careloop.demand.completed",
    }  # fmt: skip


ALL = {
    "accept": lambda a, d: services.accept_demand(actor=a, demand=d),
    "start": lambda a, d: services.start_demand(actor=a, demand=d),
    "complete": lambda a, d: services.complete_demand(actor=a, demand=d),
    "withdraw": lambda a, d: services.withdraw_demand(actor=a, demand=d),
    "reject": lambda a, d: services.reject_demand(actor=a, demand=d, reason="不在服务范围"),
    "escalate": lambda a, d: services.escalate_demand(actor=a, demand=d),
    "fail": lambda a, d: services.fail_demand(actor=a, demand=d),
}


@pytest.mark.parametrize("action", sorted(ALL))
def test_illegal_transitions_from_submitted_are_409_and_write_nothing(cast, demand, action):
    if DemandStatus.SUBMITTED in TRANSITIONS[action].sources:
        ALL[action](cast.doctor_a, demand)
        return
    before = written()
    with pytest.raises(ConflictError) as exc:
        ALL[action](cast.doctor_a, demand)
    assert exc.value.status == 409 and exc.value.code == "demands.illegal_transition"
    assert written() == before
    demand.refresh_from_db()
    assert demand.status == "submitted"


@pytest.mark.parametrize("action", sorted(ALL))
def test_nothing_moves_a_completed_demand(cast, demand, action):
    for step in ("accept", "start", "complete"):
        ALL[step](cast.doctor_a, demand)
    before = written()
    with pytest.raises(ConflictError):
        ALL[action](cast.doctor_a, demand)
    assert written() == before


def test_illegal_message_is_translated(cast, demand):
    services.withdraw_demand(actor=cast.wang_user, demand=demand)
    with pytest.raises(ConflictError) as exc:
        services.accept_demand(actor=cast.doctor_a, demand=demand)
    assert "已撤回" in str(exc.value.message) or "Withdrawn" in str(exc.value.message)


def test_a_retried_transition_writes_one_event(cast, demand):
    services.accept_demand(actor=cast.doctor_a, demand=demand, idempotency_key="acc-1")
    before = written()
    again = services.accept_demand(actor=cast.doctor_a, demand=demand, idempotency_key="acc-1")
    assert again.status == "accepted"
    assert written() == before
    assert DemandEvent.objects.filter(demand=demand, action="accept").count() == 1
    with pytest.raises(ConflictError) as exc:  # the key, reused for another change
        services.start_demand(actor=cast.doctor_a, demand=demand, idempotency_key="acc-1")
    assert exc.value.code == "demands.idempotency_key_reused"


def test_a_retried_schedule_books_the_slot_once(cast, demand, slot):
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=slot, idempotency_key="s-1")
    before = (*written(), Booking.objects.count())
    services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=slot, idempotency_key="s-1")
    assert (*written(), Booking.objects.count()) == before
    slot.refresh_from_db()
    assert slot.booked_count == 1


def test_a_refused_schedule_books_nothing(cast, demand, slot):
    before = (*written(), Booking.objects.count())
    with pytest.raises(ConflictError):  # not accepted yet
        services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=slot)
    assert (*written(), Booking.objects.count()) == before
    slot.refresh_from_db()
    assert slot.booked_count == 0


def test_schedule_with_an_existing_booking(cast, demand, slot):
    booking = catalogue_services.book_slot(actor=cast.wang_user, slot=slot, resident=cast.wang)
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    services.schedule_demand(actor=cast.doctor_a, demand=demand, booking=booking)
    assert demand.booking == booking
    with pytest.raises(DomainError):
        services.schedule_demand(actor=cast.doctor_a, demand=demand)


def test_withdrawing_a_scheduled_demand_frees_the_place(cast, demand, slot):
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=slot)
    services.withdraw_demand(actor=cast.wang_user, demand=demand, reason="已好转")
    assert demand.status == "withdrawn"
    assert demand.booking.status == BookingStatus.CANCELLED or (
        Booking.objects.get(pk=demand.booking_id).status == BookingStatus.CANCELLED
    )
    slot.refresh_from_db()
    assert slot.booked_count == 0


def test_reject_sends_the_demand_back_to_matching(cast, demand):
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    services.reject_demand(actor=cast.doctor_a, demand=demand, reason="需专科处理")
    demand.refresh_from_db()
    assert (demand.status, demand.reject_reason, demand.accepted_by) == (
        "submitted",
        "需专科处理",
        None,
    )
    event = demand.events.last()
    assert (event.action, event.to_status, event.detail) == (
        "reject",
        "submitted",
        {"reason": "需专科处理"},
    )
    with pytest.raises(DomainError) as exc:
        services.reject_demand(actor=cast.doctor_a, demand=demand, reason=" ")
    assert exc.value.status == 400


@pytest.mark.parametrize(
    ("actor", "action", "outcome"),
    [
        ("wang_user", "withdraw", "ok"),
        ("wang_user", "accept", 403),
        ("wang_user", "escalate", 403),
        ("zhao_user", "withdraw", 404),
        ("doctor_b", "accept", 404),
        ("cashier", "accept", 404),
        ("west_director", "accept", 404),
        ("nurse_a", "accept", "ok"),
        ("director", "escalate", "ok"),
    ],
)
def test_who_may_move_a_demand(cast, demand, actor, action, outcome):
    before = written()
    if outcome == "ok":
        ALL[action](getattr(cast, actor), demand)
        assert written()[1] == before[1] + 1
        return
    with pytest.raises(NotFoundError if outcome == 404 else ForbiddenError) as exc:
        ALL[action](getattr(cast, actor), demand)
    assert exc.value.status == outcome
    assert written() == before


def test_every_status_maps_to_a_fhir_task_status():
    assert set(FHIR_TASK_STATUS) == set(DemandStatus)
    assert len(set(FHIR_TASK_STATUS.values())) == len(DemandStatus)  # one to one
    assert set(FHIR_TASK_STATUS.values()) <= {
        "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error",
    }  # fmt: skip
