"""Online matching at filing time, alternatives when nothing fits exactly, and the resident's
answer: accepting books the slot (once), declining leaves the demand open."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Booking, Service, Slot
from careloop.core.errors import ConflictError, NotFoundError
from careloop.demands import services
from careloop.demands.models import DemandOffer, OfferKind, OfferStatus
from careloop.notifications.models import Message
from tests.catalogue.conftest import net  # noqa: F401 (fixture)

from .conftest import SHANGHAI


def window(day: int, start: int, end: int) -> dict[str, str]:
    return {
        "start": datetime(2026, 2, day, start, tzinfo=SHANGHAI).isoformat(),
        "end": datetime(2026, 2, day, end, tzinfo=SHANGHAI).isoformat(),
    }


@pytest.fixture
def slots(cast, net):  # noqa: F811
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=14)
    return list(Slot.objects.filter(provider=net.doctor).order_by("start"))


def file(cast, **kwargs):
    kwargs.setdefault("service", Service.objects.get(code="basic.common_illness"))
    return services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", **kwargs
    )


def test_filing_offers_the_best_exact_matches(cast, slots):
    demand = file(cast, modes=["clinic"], windows=[window(9, 9, 12)])
    offers = list(demand.offers.order_by("number"))
    assert [o.kind for o in offers] == [OfferKind.MATCH] * 3
    # Earliest acceptable time weighs most: 09:00, 09:30, 10:00 on Monday the 9th.
    assert [o.slot.start.astimezone(SHANGHAI).strftime("%H:%M") for o in offers] == [
        "09:00",
        "09:30",
        "10:00",
    ]
    assert all(o.slot.provider == slots[0].provider for o in offers)
    assert demand.events.filter(action="match").get().detail == {"exact": 3, "alternatives": 0}
    assert not Message.objects.filter(kind="demand.alternatives_offered").exists()


def test_nothing_fits_exactly_so_alternatives_are_offered_and_the_resident_is_told(cast, slots):
    # No home visits of this service exist: the engine relaxes the mode first.
    demand = file(cast, modes=["home"], windows=[window(9, 9, 12)])
    offers = list(demand.offers.order_by("number"))
    assert offers and all(o.kind == OfferKind.ALTERNATIVE for o in offers)
    assert offers[0].relaxed == ["mode"] and offers[0].slot.mode == "clinic"
    told = Message.objects.filter(kind="demand.alternatives_offered", resident=cast.wang)
    assert told.exists()


def test_accepting_an_offer_books_it_and_acceptance_then_schedules(cast, slots):
    demand = file(cast, modes=["clinic"], windows=[window(9, 9, 12)])
    second = demand.offers.get(number=2)
    services.accept_offer(actor=cast.wang_user, demand=demand, number=2)
    demand.refresh_from_db()
    assert demand.status == "submitted" and demand.booking.slot == second.slot
    statuses = dict(demand.offers.values_list("number", "status"))
    assert statuses == {1: "expired", 2: "accepted", 3: "expired"}
    # Accepting again changes nothing; another (expired) offer is refused.
    services.accept_offer(actor=cast.wang_user, demand=demand, number=2)
    with pytest.raises(ConflictError):
        services.accept_offer(actor=cast.wang_user, demand=demand, number=1)
    assert Booking.objects.filter(resident=cast.wang).count() == 1
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    demand.refresh_from_db()
    assert demand.status == "scheduled" and demand.scheduled_at is not None
    actions = list(demand.events.values_list("action", flat=True))
    assert actions == ["file", "match", "choose", "accept", "schedule"]


def test_an_accepted_demand_is_scheduled_when_the_resident_chooses(cast, slots):
    demand = file(cast, modes=["clinic"], windows=[window(9, 9, 12)])
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    services.accept_offer(actor=cast.wang_user, demand=demand, number=1)
    demand.refresh_from_db()
    assert demand.status == "scheduled"
    assert Message.objects.filter(kind="demand.scheduled", resident=cast.wang).exists()


def test_a_full_slot_is_refused_and_nothing_is_written(cast, slots):
    demand = file(cast, modes=["clinic"], windows=[window(9, 9, 12)])
    first = demand.offers.get(number=1)
    catalogue_services.book_slot(actor=cast.director, slot=first.slot, resident=cast.zhao)
    events = demand.events.count()
    with pytest.raises(ConflictError):
        services.accept_offer(actor=cast.wang_user, demand=demand, number=1)
    assert demand.events.count() == events
    assert DemandOffer.objects.get(pk=first.pk).status == OfferStatus.OFFERED
    assert not Booking.objects.filter(resident=cast.wang).exists()


def test_declining_keeps_the_demand_open(cast, slots):
    demand = file(cast, modes=["clinic"], windows=[window(9, 9, 12)])
    services.decline_offer(actor=cast.wang_user, demand=demand, number=1)
    services.decline_offer(actor=cast.wang_user, demand=demand, number=1)  # again: no change
    assert demand.offers.get(number=1).status == OfferStatus.DECLINED
    assert demand.events.filter(action="decline_offer").count() == 1
    demand.refresh_from_db()
    assert demand.status == "submitted"


def test_others_cannot_touch_the_offers(cast, slots):
    demand = file(cast, modes=["clinic"], windows=[window(9, 9, 12)])
    with pytest.raises(NotFoundError):
        services.accept_offer(actor=cast.zhao_user, demand=demand, number=1)
    with pytest.raises(NotFoundError):
        services.decline_offer(actor=cast.doctor_b, demand=demand, number=1)
    with pytest.raises(NotFoundError):
        services.accept_offer(actor=cast.wang_user, demand=demand, number=99)


def test_a_demand_without_a_service_is_left_for_staff_to_match(cast, slots):
    demand = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="腿疼"
    )
    assert not demand.offers.exists()
