import threading
from datetime import date

import pytest
from django.db import connection

from careloop.catalogue import services
from careloop.catalogue.models import Booking, BookingStatus, Slot
from careloop.core import audit
from careloop.core.errors import ConflictError, DomainError, NotFoundError
from careloop.core.models import AuditEvent

from .conftest import svc

START = date(2026, 2, 9)


@pytest.fixture
def slots(cast, net):
    services.generate_slots(actor=cast.director, start=START, days=3)
    return {
        "clinic": Slot.objects.filter(provider=net.doctor).order_by("start").first(),  # 1 place
        "yoga": Slot.objects.filter(provider=net.therapist).order_by("start").first(),  # 3 places
    }


def written():
    return Booking.objects.count(), AuditEvent.objects.count()


def test_book_the_last_place_then_409(cast, slots):
    slot = slots["clinic"]
    booking = services.book_slot(actor=cast.wang_user, slot=slot, resident=cast.wang)
    assert booking.status == BookingStatus.BOOKED and booking.booked_by == cast.wang_user
    assert booking.service is None  # the slot offers three services; none was chosen
    slot.refresh_from_db()
    assert slot.booked_count == 1 and not slot.is_free
    before = written()
    with pytest.raises(ConflictError) as exc:
        services.book_slot(actor=cast.director, slot=slot, resident=cast.zhao)
    assert exc.value.code == "catalogue.slot_full" and exc.value.status == 409
    assert str(exc.value.message) == "此时段已约满。"  # Chinese is the default language
    assert written() == before
    assert Slot.objects.get(pk=slot.pk).booked_count == 1


def test_group_capacity(cast, slots):
    slot = slots["yoga"]
    for resident in (cast.wang, cast.li, cast.zhao):
        services.book_slot(actor=cast.director, slot=slot, resident=resident)
    assert Slot.objects.get(pk=slot.pk).booked_count == 3
    assert Booking.objects.get(resident=cast.li).service == svc("development.yoga_class")


def test_idempotent_retry_returns_the_same_booking(cast, slots):
    slot = slots["yoga"]
    first = services.book_slot(
        actor=cast.wang_user, slot=slot, resident=cast.wang, idempotency_key="k-1"
    )
    again = services.book_slot(
        actor=cast.wang_user, slot=slot, resident=cast.wang, idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert Slot.objects.get(pk=slot.pk).booked_count == 1
    with pytest.raises(ConflictError) as exc:  # same key, other request
        services.book_slot(actor=cast.wang_user, slot=slot, resident=cast.li, idempotency_key="k-1")
    assert exc.value.code == "catalogue.idempotency_key_reused"
    # keys are per actor: another user's identical key is a new request
    other = services.book_slot(
        actor=cast.director, slot=slot, resident=cast.li, idempotency_key="k-1"
    )
    assert other.pk != first.pk


def test_one_live_place_per_resident_and_slot(cast, slots):
    slot = slots["yoga"]
    services.book_slot(actor=cast.wang_user, slot=slot, resident=cast.wang)
    before = written()
    with pytest.raises(ConflictError) as exc:
        services.book_slot(actor=cast.director, slot=slot, resident=cast.wang)
    assert exc.value.code == "catalogue.already_booked"
    assert written() == before and Slot.objects.get(pk=slot.pk).booked_count == 1


def test_cancel_frees_the_place(cast, slots):
    slot = slots["clinic"]
    booking = services.book_slot(actor=cast.wang_user, slot=slot, resident=cast.wang)
    cancelled = services.cancel_booking(actor=cast.wang_user, booking=booking, reason="出差")
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.cancel_reason == "出差"
    assert Slot.objects.get(pk=slot.pk).booked_count == 0
    with pytest.raises(ConflictError):
        services.cancel_booking(actor=cast.wang_user, booking=booking)
    rebooked = services.book_slot(actor=cast.director, slot=slot, resident=cast.wang)
    assert rebooked.pk != booking.pk
    assert (
        AuditEvent.objects.filter(action__startswith="careloop.catalogue.slot_booked").count() == 2
    )
    assert AuditEvent.objects.filter(action="careloop.catalogue.booking_cancelled").count() == 1


def test_eligibility_is_checked_when_a_service_is_chosen(cast, slots):
    with pytest.raises(DomainError) as exc:  # zhao has no diabetes tag
        services.book_slot(
            actor=cast.director, slot=slots["clinic"], resident=cast.zhao,
            service=svc("maintenance.diabetic_foot_screening"),
        )  # fmt: skip
    assert exc.value.code == "catalogue.not_eligible"
    with pytest.raises(DomainError) as exc:
        services.book_slot(
            actor=cast.director, slot=slots["yoga"], resident=cast.zhao,
            service=svc("basic.common_illness"),
        )  # fmt: skip
    assert exc.value.code == "catalogue.service_not_offered"
    assert Booking.objects.count() == 0


def test_booking_scope(cast, slots):
    slot = slots["yoga"]
    with pytest.raises(NotFoundError):
        services.book_slot(actor=cast.zhao_user, slot=slot, resident=cast.wang)
    with pytest.raises(NotFoundError):
        services.book_slot(actor=cast.cashier, slot=slot, resident=cast.wang)
    guardian = services.book_slot(actor=cast.wang_user, slot=slot, resident=cast.li)
    with pytest.raises(NotFoundError):
        services.cancel_booking(actor=cast.zhao_user, booking=guardian)
    # the provider with a login may cancel a booking on their own slot
    clinic = services.book_slot(actor=cast.wang_user, slot=slots["clinic"], resident=cast.wang)
    services.cancel_booking(actor=cast.doctor_a, booking=clinic, reason="doctor ill")
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 1


def test_closed_and_past_slots(cast, slots, frozen):
    from datetime import datetime

    from .conftest import SHANGHAI

    services.add_schedule_exception(
        actor=cast.director, provider=slots["clinic"].provider, start_date=START, end_date=START
    )
    with pytest.raises(ConflictError) as exc:
        services.book_slot(actor=cast.director, slot=slots["clinic"], resident=cast.wang)
    assert exc.value.code == "catalogue.slot_closed"
    frozen(datetime(2026, 2, 11, 15, 0, tzinfo=SHANGHAI))
    with pytest.raises(ConflictError) as exc:
        services.book_slot(actor=cast.director, slot=slots["yoga"], resident=cast.wang)
    assert exc.value.code == "catalogue.slot_past"


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises writers; test_book_the_last_place_then_409 covers it there",
)
@pytest.mark.django_db(transaction=True)
def test_two_connections_race_for_the_last_place(migration_data, cast, slots, monkeypatch):
    """Two threads, two PostgreSQL connections, one place: exactly one booking."""
    slot = slots["clinic"]  # one place, two residents
    # Hold each transaction open after its UPDATE so the two overlap.
    real_record = audit.record
    barrier = threading.Barrier(2)

    def slow_record(**kwargs):
        if kwargs.get("action") == "careloop.catalogue.slot_booked":
            threading.Event().wait(0.3)
        return real_record(**kwargs)

    monkeypatch.setattr(audit, "record", slow_record)
    results = {}

    def book(name, resident):
        try:
            barrier.wait()
            results[name] = services.book_slot(actor=cast.director, slot=slot, resident=resident)
        except ConflictError as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=("wang", cast.wang)),
        threading.Thread(target=book, args=("zhao", cast.zhao)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(type(r).__name__ for r in results.values()) == ["Booking", "ConflictError"]
    loser = next(r for r in results.values() if isinstance(r, ConflictError))
    assert loser.code == "catalogue.slot_full"
    assert Slot.objects.get(pk=slot.pk).booked_count == slot.capacity == 1
    assert Booking.objects.filter(slot=slot).count() == 1
