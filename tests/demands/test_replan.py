"""The batch optimiser over unconfirmed demands: contention for one place is settled, more
urgent demands win, nothing is booked, and a second run changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Booking, Service, Slot
from careloop.demands import services
from careloop.demands.models import OfferStatus
from tests.catalogue.conftest import net  # noqa: F401 (fixture)

from .conftest import SHANGHAI


@pytest.fixture
def slots(cast, net):  # noqa: F811
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=1)
    return list(Slot.objects.filter(provider=net.doctor).order_by("start"))


def file(cast, resident, user, description="", at=(9, 0, 9, 30)):
    h1, m1, h2, m2 = at
    return services.file_demand(
        actor=user, resident=resident, channel="resident_web" if user.has_role("resident")
        else "staff_phone", service=Service.objects.get(code="basic.common_illness"),
        description=description, modes=["clinic"],
        windows=[{
            "start": datetime(2026, 2, 9, h1, m1, tzinfo=SHANGHAI).isoformat(),
            "end": datetime(2026, 2, 9, h2, m2, tzinfo=SHANGHAI).isoformat(),
        }],
    )  # fmt: skip


def first_offer_slot(demand):
    offer = demand.offers.filter(status=OfferStatus.OFFERED).order_by("number").first()
    return offer.slot if offer else None


def test_two_demands_for_one_place_are_settled_urgent_first(cast, slots):
    routine = file(cast, cast.wang, cast.wang_user)
    urgent = file(cast, cast.zhao, cast.director, description="高烧")
    assert urgent.tier == "urgent"
    # Online matching offered both the one 09:00 place.
    assert first_offer_slot(routine) == first_offer_slot(urgent) == slots[1]
    result = services.replan_unconfirmed(actor=cast.director)
    assert (result.demands, result.matched, result.changed) == (2, 1, 1)
    assert first_offer_slot(urgent) == slots[1]
    assert first_offer_slot(routine) is None  # its offer went to the urgent demand
    assert routine.events.get(action="replan").detail == {"slot": None}
    assert not Booking.objects.exists()
    again = services.replan_unconfirmed(actor=cast.director)
    assert again.changed == 0


def test_replanning_moves_a_demand_to_a_free_place(cast, slots):
    a = file(cast, cast.wang, cast.wang_user, at=(9, 0, 10, 0))
    b = file(cast, cast.zhao, cast.director, at=(9, 0, 10, 0))
    assert first_offer_slot(a) == first_offer_slot(b)
    result = services.replan_unconfirmed(actor=cast.director)
    assert result.matched == 2
    assert {first_offer_slot(a), first_offer_slot(b)} == {slots[1], slots[2]}
    assert a.events.filter(action="replan").count() + b.events.filter(action="replan").count() == 1
