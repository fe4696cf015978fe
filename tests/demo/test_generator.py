"""The pure generator: determinism, validity and the reference figures of DOMAIN.md.
No database: these run in milliseconds."""

from __future__ import annotations

from collections import Counter
from statistics import mean

import pytest

from careloop.core.roles import Role
from careloop.core.validators import parse_id_number, validate_mobile
from careloop.demo import names
from careloop.demo.generator import (
    CENTRE_LAT,
    CENTRE_LON,
    ESTATE_RADIUS_KM,
    REFERENCE_DATE,
    REGION_CODE,
    DemoCommunity,
    building_sites,
    demo_usernames,
    generate,
)
from careloop.matching.engine import haversine_km
from careloop.residents.models import Disability, GuardianRelation, Sex

N = 300
SEEDS = (1, 2, 3, 2026)


@pytest.fixture(scope="module")
def demo() -> DemoCommunity:
    return generate(N, seed=11)


@pytest.fixture(scope="module")
def big() -> dict[int, DemoCommunity]:
    return {seed: generate(2000, seed=seed) for seed in SEEDS}


def test_same_n_and_seed_give_the_same_community(demo):
    again = generate(N, seed=11)
    assert again == demo  # every resident, household, link, team and user, field by field


def test_another_seed_gives_another_community(demo):
    other = generate(N, seed=12)
    assert [r.id_number for r in other.residents] != [r.id_number for r in demo.residents]
    assert [r.name for r in other.residents] != [r.name for r in demo.residents]


def test_size_is_exact(demo):
    assert len(demo.residents) == N
    members = sorted(i for h in demo.households for i in h.members)
    assert members == list(range(N))  # everyone lives in exactly one household
    for h, household in enumerate(demo.households):
        assert all(demo.residents[i].household == h for i in household.members)


def test_every_id_number_is_valid_unique_and_matches_the_person(demo):
    numbers = [r.id_number for r in demo.residents]
    assert len(set(numbers)) == N
    for resident in demo.residents:
        info = parse_id_number(resident.id_number, today=REFERENCE_DATE)
        assert info.number == resident.id_number
        assert info.region == REGION_CODE
        assert info.birth_date == resident.birth_date
        assert info.sex == resident.sex
        birthday_passed = (REFERENCE_DATE.month, REFERENCE_DATE.day) >= (
            resident.birth_date.month,
            resident.birth_date.day,
        )
        age = REFERENCE_DATE.year - resident.birth_date.year - (0 if birthday_passed else 1)
        assert age == resident.age


def test_adults_have_valid_unique_mobiles_and_children_none(demo):
    adults = [r for r in demo.residents if r.age >= 18]
    for resident in adults:
        validate_mobile(resident.phone)
    assert len({r.phone for r in adults}) == len(adults)
    assert all(r.phone == "" for r in demo.residents if r.age < 18)


@pytest.mark.parametrize("seed", SEEDS)
def test_age_pyramid_follows_the_reference_figures(big, seed):
    residents = big[seed].residents
    share = lambda test: sum(1 for r in residents if test(r.age)) / len(residents)  # noqa: E731
    assert abs(share(lambda a: a >= 60) - 0.23) <= 0.02
    assert abs(share(lambda a: a >= 65) - 0.15) <= 0.02
    assert abs(share(lambda a: a < 15) - 0.16) <= 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_households_average_about_two_point_six(big, seed):
    demo = big[seed]
    assert 2.4 <= len(demo.residents) / len(demo.households) <= 2.8
    sizes = Counter(min(len(h.members), 5) for h in demo.households)
    assert set(sizes) == {1, 2, 3, 4, 5}  # a realistic mix, not one shape
    assert max(len(h.members) for h in demo.households) <= 8


@pytest.mark.parametrize("seed", SEEDS)
def test_about_twelve_percent_of_elders_live_alone(big, seed):
    demo = big[seed]
    elders = [r for r in demo.residents if r.age >= 60]
    assert abs(sum(r.living_alone for r in elders) / len(elders) - 0.12) <= 0.02
    for resident in demo.residents:  # the flag means a one-person household
        size = len(demo.households[resident.household].members)
        assert resident.living_alone == (size == 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_disability_and_contract_shares(big, seed):
    residents = big[seed].residents
    assert 0.04 <= mean(bool(r.disability) for r in residents) <= 0.08
    assert 0.60 <= mean(r.team is not None for r in residents) <= 0.70
    elders = [r for r in residents if r.age >= 60]
    assert mean(r.team is not None for r in elders) >= 0.8


def test_children_live_with_a_parent_who_is_their_guardian(demo):
    parent_of: dict[int, list[int]] = {}
    for link in demo.guardians:
        if link.relation == "parent":
            parent_of.setdefault(link.dependant, []).append(link.guardian)
    for i, child in enumerate(demo.residents):
        if child.age >= 18:
            continue
        parents = parent_of.get(i, [])
        assert parents, child
        for p in parents:
            parent = demo.residents[p]
            assert parent.household == child.household
            assert 18 <= parent.age - child.age <= 45


def test_guardian_links_are_unique_and_plausible(demo):
    pairs = [(link.guardian, link.dependant) for link in demo.guardians]
    assert len(set(pairs)) == len(pairs)
    assert all(g != d for g, d in pairs)
    relations = Counter(link.relation for link in demo.guardians)
    assert set(relations) <= set(GuardianRelation.values)
    assert relations["child"] > 0  # some elders have an adult child as guardian
    for link in demo.guardians:
        guardian, dependant = demo.residents[link.guardian], demo.residents[link.dependant]
        assert guardian.age >= 18
        assert guardian.household == dependant.household
        if link.relation == "child":
            assert dependant.age - guardian.age >= 10


def test_household_members_share_the_address_and_contract_with_one_team(demo):
    addresses = [h.address for h in demo.households]
    assert len(set(addresses)) == len(addresses)
    assert len({h.code for h in demo.households}) == len(demo.households)
    for household in demo.households:
        assert household.address.startswith("武汉市武昌区幸福里小区")
        assert household.address.endswith("室")
        teams = {demo.residents[i].team for i in household.members} - {None}
        assert teams <= {household.team}


def test_every_home_is_on_the_map_within_the_estate(big):
    centre = (float(CENTRE_LAT), float(CENTRE_LON))
    for demo in big.values():
        sites = {}
        for household in demo.households:
            where = (household.latitude, household.longitude)
            assert haversine_km(centre, where) <= ESTATE_RADIUS_KM + 0.001
            assert where == (round(where[0], 6), round(where[1], 6))
            building = household.address.split("小区")[1].split("栋")[0]
            assert sites.setdefault(building, where) == where  # one building, one point
        assert len(set(sites.values())) == len(sites) > 1


def test_buildings_scatter_over_the_estate_whatever_the_size():
    sites = building_sites(2026, 400)
    assert building_sites(2026, 400) == sites
    assert building_sites(2026, 35) == sites[:35]  # building k stands where it stood
    assert building_sites(2027, 35) != sites[:35]
    centre = (float(CENTRE_LAT), float(CENTRE_LON))
    distances = sorted(haversine_km(centre, site) for site in sites)
    assert distances[-1] <= ESTATE_RADIUS_KM + 0.001
    # Even over the disc: a quarter within half the radius, the median near R/√2.
    assert 0.2 < sum(d <= ESTATE_RADIUS_KM / 2 for d in distances) / len(sites) < 0.3
    assert 1.3 < distances[len(distances) // 2] < 1.55
    # Every direction: each quadrant around the centre holds about a quarter of them.
    quadrants = Counter((lat > centre[0], lon > centre[1]) for lat, lon in sites)
    assert all(70 < count < 130 for count in quadrants.values())


def test_names_and_values_fit_the_models(demo):
    surnames = {s for s, _ in names.SURNAMES}
    for resident in demo.residents:
        assert 2 <= len(resident.name) <= 3
        assert resident.name[0] in surnames
        assert resident.sex in Sex.values
        assert resident.disability in Disability.values
        assert len(resident.occupation) <= 60
        if resident.age >= 60:
            assert resident.occupation == names.RETIRED
        if 6 <= resident.age < 18:
            assert resident.occupation == names.STUDENT
    # Children carry their father's surname.
    fathers = [
        (demo.residents[link.guardian], demo.residents[link.dependant])
        for link in demo.guardians
        if link.relation == "parent" and demo.residents[link.guardian].sex == "M"
    ]
    assert fathers
    assert all(father.name[0] == child.name[0] for father, child in fathers)


def test_given_names_suit_the_generation():
    residents = generate(2000, seed=5).residents
    old_women = Counter(r.name[1:] for r in residents if r.sex == "F" and r.age >= 70)
    girls = Counter(r.name[1:] for r in residents if r.sex == "F" and r.age < 10)
    assert not set(old_women) & set(girls)


def test_every_role_has_a_user_with_a_stable_username(demo):
    usernames = [u.username for u in demo.users]
    assert len(set(usernames)) == len(usernames)
    roles = {role for u in demo.users for role in u.roles}
    assert roles == set(Role.values)
    for expected in ("admin", "director", "doctor1", "doctor2", "nurse1", "resident1",
                     "resident5", "cashier1", "triage_nurse1", "health_manager1",
                     "quality_manager1", "auditor1"):  # fmt: skip
        assert expected in usernames
    admin = next(u for u in demo.users if u.username == "admin")
    assert admin.is_superuser and admin.roles == (Role.SYSTEM_ADMIN,)
    assert [u.username for u in demo.users] == demo_usernames(11)
    assert demo_usernames(11) == demo_usernames(12)  # usernames do not depend on the seed


def test_care_teams_have_doctors_nurses_and_a_health_manager(demo):
    assert len(demo.teams) == 8
    for t in range(len(demo.teams)):
        members = Counter(role for u in demo.users if u.team == t for role in u.roles)
        assert 1 <= members[Role.FAMILY_DOCTOR] <= 2
        assert 1 <= members[Role.NURSE] <= 2
        assert members[Role.HEALTH_MANAGER] == 1
        assert sum(u.is_lead for u in demo.users if u.team == t) == 1
    doctors = {u.username: u.team for u in demo.users if Role.FAMILY_DOCTOR in u.roles}
    for resident in demo.residents:
        if resident.team is not None:
            assert doctors[resident.doctor] == resident.team


def test_resident_logins_are_contracted_adults_and_resident1_is_an_elder_carer(demo):
    logins = [u for u in demo.users if u.resident is not None]
    assert [u.username for u in logins] == [f"resident{k}" for k in range(1, 6)]
    for user in logins:
        resident = demo.residents[user.resident]
        assert resident.age >= 18
        assert resident.team is not None
        assert user.name == resident.name
    first = demo.residents[logins[0].resident]
    assert first.age >= 60
    assert any(link.guardian == logins[0].resident for link in demo.guardians)


def test_a_tiny_community_still_generates():
    demo = generate(5, seed=1)
    assert len(demo.residents) == 5
    assert {role for u in demo.users for role in u.roles} == set(Role.values)
