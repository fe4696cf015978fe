"""Where a home visit goes: the resident's household when it is on the map, else the
community centre; the provider's home-visit radius is measured from there."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Organisation, Service
from careloop.demands import services
from careloop.demands.models import OfferKind
from careloop.demands.services.filing import home_location
from careloop.matching.engine import haversine_km
from careloop.residents import services as resident_services
from tests.catalogue.conftest import net  # noqa: F401 (fixture)

from .conftest import SHANGHAI

CENTRE = (30.56, 114.37)  # the east centre of the ``net`` fixture
KM_NORTH = 1 / 111.195  # degrees of latitude in a kilometre
HOME = (round(CENTRE[0] + 4 * KM_NORTH, 6), CENTRE[1])  # 4 km north of the centre


def locate(cast, resident, where):
    household = resident_services.create_household(
        actor=cast.director, community=resident.community, code=f"home-{resident.pk}"
    )
    resident_services.update_resident(
        actor=cast.director, resident=resident, changes={"household": household}
    )
    resident_services.set_household_location(
        actor=cast.director, household=household, latitude=where[0], longitude=where[1]
    )
    resident.refresh_from_db()
    return household


def test_a_located_home_is_where_the_visit_goes(cast, net):  # noqa: F811
    locate(cast, cast.wang, HOME)
    assert home_location(cast.wang) == HOME
    assert home_location(cast.li) == CENTRE  # no household: the centre stands in


def test_a_household_not_on_the_map_falls_back_to_the_centre(cast, net):  # noqa: F811
    household = locate(cast, cast.wang, HOME)
    resident_services.set_household_location(
        actor=cast.director, household=household, latitude=None, longitude=None
    )
    assert home_location(cast.wang) == CENTRE


def test_without_a_home_or_a_located_centre_there_is_no_location(cast):
    assert not Organisation.objects.exists()
    assert home_location(cast.wang) == (None, None)


@pytest.fixture
def nurses(cast, net):  # noqa: F811
    """Two home nurses on Monday afternoon: one based at the centre with a 3 km radius, one
    based 3.5 km north of it with a 3 km radius."""
    made = {}
    for name, base in (("近中心", CENTRE), ("北片区", (CENTRE[0] + 3.5 * KM_NORTH, CENTRE[1]))):
        provider = catalogue_services.create_provider(
            actor=cast.director, organisation=net.centre, name=name, kind="practitioner",
            sex="F", skills=["nurse"], services=["maintenance.home_nursing"],
            radius_km="3.0", base_latitude=f"{base[0]:.6f}", base_longitude=f"{base[1]:.6f}",
        )  # fmt: skip
        catalogue_services.create_weekly_schedule(
            actor=cast.director, provider=provider, weekday=0,
            start_time=time(14, 0), end_time=time(16, 0),
            slot_minutes=60, mode="home", valid_from=date(2026, 1, 1),
        )  # fmt: skip
        made[name] = provider
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=7)
    return made


def file_home_nursing(cast):
    window = {
        "start": datetime(2026, 2, 9, 13, tzinfo=SHANGHAI).isoformat(),
        "end": datetime(2026, 2, 9, 17, tzinfo=SHANGHAI).isoformat(),
    }
    return services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web",
        service=Service.objects.get(code="maintenance.home_nursing"), modes=["home"],
        windows=[window],
    )  # fmt: skip


def test_a_home_beyond_a_nurses_radius_is_matched_to_the_nurse_who_reaches_it(cast, nurses):
    locate(cast, cast.wang, HOME)
    near, north = nurses["近中心"], nurses["北片区"]
    base = (float(near.base_latitude), float(near.base_longitude))
    assert haversine_km(base, HOME) > float(near.radius_km)  # the premise: 4 km > 3 km
    demand = file_home_nursing(cast)
    assert (demand.latitude, demand.longitude) == HOME
    offers = list(demand.offers.select_related("slot__provider").order_by("number"))
    assert [o.kind for o in offers] == [OfferKind.MATCH, OfferKind.MATCH]
    assert {o.slot.provider for o in offers} == {north}


def test_without_a_located_home_the_centre_decides_who_reaches_it(cast, nurses):
    demand = file_home_nursing(cast)
    assert (demand.latitude, demand.longitude) == CENTRE
    offers = list(demand.offers.select_related("slot__provider"))
    assert offers and {o.slot.provider for o in offers} == {nurses["近中心"]}


def test_device_alert_demands_are_located_at_the_home_or_the_centre(cast, net):  # noqa: F811
    from careloop.demands.models import Demand
    from tests.observations.conftest import bp

    locate(cast, cast.wang, HOME)
    bp(cast.doctor_a, cast.wang, 185, 115)  # opens an alert, which files a demand
    bp(cast.doctor_a, cast.li, 185, 115)
    wang, li = (
        Demand.objects.get(resident=r, channel="device_alert") for r in (cast.wang, cast.li)
    )
    assert (wang.latitude, wang.longitude) == HOME
    assert (li.latitude, li.longitude) == CENTRE
