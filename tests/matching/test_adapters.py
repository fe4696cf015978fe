"""The database side of matching: free slots as engine inputs, in two queries."""

from __future__ import annotations

from datetime import date, datetime

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Slot
from careloop.matching import adapters
from tests.catalogue.conftest import net  # noqa: F401 (fixture)
from tests.demands.conftest import SHANGHAI, frozen  # noqa: F401 (fixture)


def test_free_slots_carry_places_left_and_the_asked_codes(
    cast,
    net,  # noqa: F811
    frozen,  # noqa: F811
    django_assert_num_queries,
):
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=7)
    first = Slot.objects.filter(provider=net.doctor).order_by("start").first()
    catalogue_services.book_slot(actor=cast.director, slot=first, resident=cast.wang)
    with django_assert_num_queries(2):
        slots = adapters.free_slots_for(["basic.common_illness"])
    doctor_slots = Slot.objects.filter(provider=net.doctor, start__gte=first.start)
    assert {s.id for s in slots} == {s.public_id for s in doctor_slots if s.booked_count < 1}
    assert all(s.service_codes == {"basic.common_illness"} for s in slots)
    assert all(s.capacity == 1 and s.provider == net.doctor.public_id for s in slots)
    assert slots == sorted(slots, key=lambda s: s.start)
    # A window: only slots starting inside it.
    start = datetime(2026, 2, 9, 9, 0, tzinfo=SHANGHAI)
    end = datetime(2026, 2, 9, 10, 0, tzinfo=SHANGHAI)
    inside = adapters.free_slots_for(["basic.common_illness"], start=start, end=end)
    assert [s.start.astimezone(SHANGHAI).strftime("%H:%M") for s in inside] == ["09:00", "09:30"]
    assert adapters.free_slots_for(["development.yoga_class"], start=start, end=end) == []
    assert adapters.free_slots_for([]) == []
