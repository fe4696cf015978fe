"""The green channel alerts the volunteers who live near the resident's home: nearest
first, within the radius, at most the cap; every volunteer of the community while too few
can be located."""

from __future__ import annotations

import math

import pytest

from careloop.catalogue import services as catalogue_services
from careloop.core.roles import Role
from careloop.demands import services
from careloop.demands.models import GreenChannelCase
from careloop.demands.services import green
from careloop.demands.services.green import nearby_volunteers
from careloop.notifications.models import Message
from careloop.residents import services as resident_services
from tests.conftest import make_user
from tests.residents.test_pages import make_ids

HOME = (30.59, 114.37)
KM_EAST = 1 / (111.195 * math.cos(math.radians(HOME[0])))  # degrees of longitude in a km


def east_of_home(km: float) -> tuple[float, float]:
    return HOME[0], round(HOME[1] + km * KM_EAST, 6)


@pytest.fixture
def wang_home(cast):
    household = resident_services.create_household(
        actor=cast.director, community=cast.east, code="wang-home"
    )
    resident_services.update_resident(
        actor=cast.director, resident=cast.wang, changes={"household": household}
    )
    resident_services.set_household_location(
        actor=cast.director, household=household, latitude=HOME[0], longitude=HOME[1]
    )
    return household


class Volunteers:
    """Volunteer logins of the east community, located by their own resident record's
    household, or by their volunteer provider record's base, or not at all."""

    def __init__(self, cast):
        self.cast = cast
        self.ids = iter(make_ids(40)[10:])

    def at_home(self, username: str, km: float | None):
        user = make_user(username, Role.VOLUNTEER, community=self.cast.east)
        resident = resident_services.register_resident(
            actor=self.cast.director, community=self.cast.east, name=username,
            id_number=next(self.ids), user=user,
        )  # fmt: skip
        household = resident_services.create_household(
            actor=self.cast.director, community=self.cast.east, code=f"home-{username}"
        )
        resident_services.update_resident(
            actor=self.cast.director, resident=resident, changes={"household": household}
        )
        if km is not None:
            where = east_of_home(km)
            resident_services.set_household_location(
                actor=self.cast.director, household=household, latitude=where[0],
                longitude=where[1],
            )  # fmt: skip
        return user

    def at_base(self, username: str, km: float, organisation):
        user = make_user(username, Role.VOLUNTEER, community=self.cast.east)
        where = east_of_home(km)
        catalogue_services.create_provider(
            actor=self.cast.director, organisation=organisation, name=username,
            kind="volunteer", sex="F", user=user, skills=["volunteer"],
            base_latitude=f"{where[0]:.6f}", base_longitude=f"{where[1]:.6f}",
        )  # fmt: skip
        return user


@pytest.fixture
def volunteers(cast):
    return Volunteers(cast)


@pytest.fixture
def centre(cast):
    return catalogue_services.create_organisation(
        actor=cast.director, code="east.centre", name_zh="东湖社区卫生服务中心",
        kind="community_centre", community=cast.east, latitude="30.5600", longitude="114.3700",
    )  # fmt: skip


def file_critical(cast):
    return services.file_demand(
        actor=cast.nurse_a, resident=cast.wang, channel="staff_phone", description="胸痛，出冷汗"
    )


def usernames(users) -> list[str]:
    return [u.username for u in users]


def test_the_volunteers_nearest_the_home_are_alerted_nearest_first(
    cast, wang_home, volunteers, centre
):
    volunteers.at_home("far", 2.0)
    volunteers.at_home("near", 0.3)
    volunteers.at_base("base", 0.8, centre)
    volunteers.at_home("edge", 1.4)
    volunteers.at_home("nowhere", None)  # a household not on the map
    make_user("no_home", Role.VOLUNTEER, community=cast.east)
    make_user("west_near", Role.VOLUNTEER, community=cast.west)
    demand = file_critical(cast)
    assert (demand.latitude, demand.longitude) == HOME
    alerted = nearby_volunteers(demand)
    assert usernames(alerted) == ["near", "base", "edge"]
    case = GreenChannelCase.objects.get(demand=demand)
    assert case.volunteers_alerted == 3
    told = Message.objects.filter(kind__startswith="green_channel.", user__in=alerted)
    assert set(told.values_list("user__username", flat=True)) == {"near", "base", "edge"}
    assert not Message.objects.filter(
        kind__startswith="green_channel.", user__username__in=["far", "nowhere", "no_home"]
    ).exists()


def test_a_volunteers_own_home_counts_before_their_provider_base(
    cast, wang_home, volunteers, centre
):
    for name, km in (("a", 0.2), ("b", 0.4), ("c", 0.6)):
        volunteers.at_home(name, km)
    # Lives 3 km away, though their home-visit base is next door.
    both = volunteers.at_home("both", 3.0)
    catalogue_services.create_provider(
        actor=cast.director, organisation=centre, name="both", kind="volunteer", sex="M",
        user=both, skills=["volunteer"], base_latitude=f"{HOME[0]:.6f}",
        base_longitude=f"{HOME[1]:.6f}",
    )  # fmt: skip
    assert usernames(nearby_volunteers(file_critical(cast))) == ["a", "b", "c"]


def test_at_most_the_cap_are_alerted(cast, wang_home, volunteers, monkeypatch):
    for k in range(5):
        volunteers.at_home(f"v{k}", 1.0 - 0.2 * k)  # v4 nearest … v0 furthest
    monkeypatch.setattr(green, "MAX_VOLUNTEERS_ALERTED", 3)
    assert usernames(nearby_volunteers(file_critical(cast))) == ["v4", "v3", "v2"]


def test_nobody_within_the_radius_alerts_the_nearest_few(cast, wang_home, volunteers):
    for name, km in (("x", 1.6), ("y", 4.0), ("z", 2.0), ("w", 3.0)):
        volunteers.at_home(name, km)
    assert green.VOLUNTEER_RADIUS_KM < 1.6
    assert green.MIN_VOLUNTEERS_LOCATED == 3
    demand = file_critical(cast)
    assert usernames(nearby_volunteers(demand)) == ["x", "z", "w"]
    assert GreenChannelCase.objects.get(demand=demand).volunteers_alerted == 3


def test_too_few_located_volunteers_alerts_every_volunteer_of_the_community(
    cast, wang_home, volunteers
):
    assert green.MIN_VOLUNTEERS_LOCATED == 3
    first = volunteers.at_home("located_far", 5.0)
    volunteers.at_home("located_near", 0.2)
    volunteers.at_home("unlocated", None)
    make_user("no_home", Role.VOLUNTEER, community=cast.east)
    gone = make_user("retired", Role.VOLUNTEER, community=cast.east)
    gone.is_active = False
    gone.save()
    make_user("west_volunteer", Role.VOLUNTEER, community=cast.west)
    alerted = nearby_volunteers(file_critical(cast))
    assert usernames(alerted) == ["located_far", "located_near", "unlocated", "no_home"]
    assert alerted[0].pk == first.pk  # in the order they joined


def test_a_demand_without_a_location_alerts_every_volunteer_of_the_community(cast, volunteers):
    for name, km in (("a", 0.2), ("b", 0.4), ("c", 0.6)):
        volunteers.at_home(name, km)
    make_user("no_home", Role.VOLUNTEER, community=cast.east)
    demand = file_critical(cast)  # Wang has no household and the centre is not on the map
    assert (demand.latitude, demand.longitude) == (None, None)
    assert usernames(nearby_volunteers(demand)) == ["a", "b", "c", "no_home"]


def test_finding_the_volunteers_takes_two_queries(
    cast, wang_home, volunteers, django_assert_num_queries
):
    for name, km in (("a", 0.2), ("b", 0.4), ("c", 0.6)):
        volunteers.at_home(name, km)
    demand = file_critical(cast)
    demand.resident  # noqa: B018 (loaded with the demand)
    with django_assert_num_queries(2):
        assert usernames(nearby_volunteers(demand)) == ["a", "b", "c"]
