"""The demo's supply side: the pure generator (no database) and what the loader writes."""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command

from careloop.catalogue.eligibility import is_eligible
from careloop.catalogue.facts import resident_facts
from careloop.catalogue.models import (
    Enrolment,
    EnrolmentItemState,
    Organisation,
    Provider,
    PublicHoliday,
    ReferralAgreement,
    Slot,
    SpecialistSession,
    WeeklySchedule,
)
from careloop.catalogue.reference import read_catalogue
from careloop.core import clock
from careloop.core.models import AuditEvent, User
from careloop.core.roles import Role
from careloop.demo.generator import ESTATE_RADIUS_KM, building_sites, generate
from careloop.demo.loader import load
from careloop.demo.supply import (
    CENTRE,
    HOSPITAL_CODE,
    VOLUNTEER,
    catalogue_from_reference,
    enrolment_plan,
    generate_supply,
)
from careloop.matching.engine import haversine_km

N = 300
SEED = 7
CATALOGUE = catalogue_from_reference(read_catalogue())
CLINICIANS = (Role.FAMILY_DOCTOR.value, Role.NURSE.value, Role.HEALTH_MANAGER.value)


@pytest.fixture(scope="module")
def demo():
    return generate(N, SEED)


@pytest.fixture(scope="module")
def supply(demo):
    return generate_supply(demo.users, CATALOGUE, SEED)


# ---- the pure generator -------------------------------------------------------------------


def test_supply_is_deterministic(demo, supply):
    assert generate_supply(demo.users, CATALOGUE, SEED) == supply
    other = generate_supply(generate(N, SEED + 1).users, CATALOGUE, SEED + 1)
    assert other != supply
    assert enrolment_plan(demo, SEED) == enrolment_plan(demo, SEED)


def test_sizes_and_kinds(supply):
    assert len(supply.organisations) == 5
    assert Counter(o.kind for o in supply.organisations) == {
        "community_centre": 1, "hospital": 1, "third_party": 2, "volunteer_team": 1,
    }  # fmt: skip
    volunteers = [p for p in supply.providers if p.kind == VOLUNTEER]
    staff = [p for p in supply.providers if p.kind != VOLUNTEER]
    assert 35 <= len(staff) <= 50
    assert 55 <= len(volunteers) <= 65
    assert {p.organisation for p in volunteers} == {"demo.volunteers"}
    assert all(p.sex in ("M", "F") and "zh" in p.languages for p in supply.providers)
    assert any("en" in p.languages for p in supply.providers)
    assert sum("zh-wuhan" in p.languages for p in supply.providers) > len(supply.providers) / 2
    for p in supply.providers:  # home-visit bases within ~5 km of Wuchang (30.54, 114.33)
        assert abs(float(p.base_latitude) - 30.54) < 0.05
        assert abs(float(p.base_longitude) - 114.33) < 0.05


def test_every_clinician_login_is_a_centre_provider(demo, supply):
    by_login = {p.username: p for p in supply.providers if p.username}
    for user in demo.users:
        if set(user.roles) & set(CLINICIANS):
            provider = by_login[user.username]
            assert provider.organisation == CENTRE and provider.name == user.name
    assert by_login["volunteer1"].kind == VOLUNTEER


def test_services_follow_skills_and_schedules_fit(supply):
    catalogue = {info.code: info for info in CATALOGUE}
    for provider in supply.providers:
        assert provider.services
        for code in provider.services:
            required = catalogue[code].skills
            assert not required or required & set(provider.skills), (provider.name, code)
    sessions: dict[tuple[int, int], list[tuple[time, time]]] = {}
    for s in supply.schedules:
        provider = supply.providers[s.provider]
        assert s.services and set(s.services) <= set(provider.services)
        assert all(s.mode in catalogue[code].modes for code in s.services)
        assert s.end > s.start and s.slot_minutes >= 5
        if s.mode == "home":
            assert s.capacity == 1
        if s.mode == "group":
            assert 20 <= s.capacity <= 30
        sessions.setdefault((s.provider, s.weekday), []).append((s.start, s.end))
    for spans in sessions.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans)), spans
    volunteer_days = Counter(
        (s.provider, s.weekday) for s in supply.schedules if supply.providers[s.provider].kind
        == VOLUNTEER
    )  # fmt: skip
    per_volunteer = Counter(provider for provider, _ in volunteer_days)
    assert all(2 <= days <= 6 for days in per_volunteer.values())  # coaches: +3 dawn classes


def test_every_home_service_reaches_every_home_though_not_every_provider_does(supply):
    homes = building_sites(SEED, 40)  # a 12,000-resident estate has 35 buildings

    def reaches(p: int, home: tuple[float, float]) -> bool:
        provider = supply.providers[p]
        base = (float(provider.base_latitude), float(provider.base_longitude))
        return haversine_km(base, home) <= float(provider.radius_km)

    visiting: dict[str, set[int]] = {}
    for s in supply.schedules:
        if s.mode == "home":
            for code in s.services:
                visiting.setdefault(code, set()).add(s.provider)
    assert len(visiting) > 15
    for code, providers in visiting.items():
        assert all(any(reaches(p, home) for p in providers) for home in homes), code
    short = {p for ps in visiting.values() for p in ps if supply.providers[p].radius_km < 2}
    assert short and all(supply.providers[p].kind == VOLUNTEER for p in short)
    assert all(not all(reaches(p, home) for home in homes) for p in short)
    assert ESTATE_RADIUS_KM == 2.0


def test_the_cardiologist_visits_on_wednesday_afternoons(supply):
    session = next(s for s in supply.schedules if s.specialty_zh == "心血管内科")
    assert supply.providers[session.provider].organisation == HOSPITAL_CODE
    assert (session.site, session.weekday, session.start) == (CENTRE, 2, time(14, 0))


# ---- written to the database --------------------------------------------------------------


@pytest.fixture
def loaded(db):
    return load(n=N, seed=SEED)


def test_counts_are_written_and_reported(loaded):
    counts = loaded.counts
    assert counts["organisations"] == Organisation.objects.count() == 5
    assert counts["providers"] == Provider.objects.count()
    assert 95 <= counts["providers"] <= 115
    assert counts["weekly_schedules"] == WeeklySchedule.objects.count() > 300
    assert counts["slots"] == Slot.objects.count() > 3000
    assert counts["enrolments"] == Enrolment.objects.count() > 0
    centre = Organisation.objects.get(code=CENTRE)
    assert centre.kind == "community_centre" and centre.community.code == "demo"
    kinds = set(ReferralAgreement.objects.values_list("partner__code", "kind"))
    assert (HOSPITAL_CODE, "two_way") in kinds
    assert ("demo.rehab", "service_contract") in kinds
    assert ("demo.homecare", "service_contract") in kinds


def test_second_load_writes_nothing(loaded):
    models = (Organisation, Provider, WeeklySchedule, Slot, Enrolment, EnrolmentItemState,
              ReferralAgreement, SpecialistSession, AuditEvent)  # fmt: skip
    before = {model: model.objects.count() for model in models}
    again = load(n=N, seed=SEED)
    assert not again.created
    assert again.counts == loaded.counts
    assert {model: model.objects.count() for model in models} == before


def test_every_doctor_user_is_a_provider(loaded):
    for user in User.objects.filter(groups__name__in=CLINICIANS):
        assert user.provider.organisation.code == CENTRE
    doctors = User.objects.filter(groups__name=Role.FAMILY_DOCTOR)
    assert doctors.count() == 12
    assert Provider.objects.filter(user__in=doctors, skills__code="doctor").count() == 12
    assert User.objects.get(username="volunteer1").provider.kind == "volunteer"


def test_cardiologist_session_has_wednesday_afternoon_slots(loaded):
    session = SpecialistSession.objects.select_related("schedule", "host").get(
        specialty_zh="心血管内科"
    )
    assert session.host.code == CENTRE and session.weekday == 2
    assert session.start_time == time(14, 0)
    slots = Slot.objects.filter(schedule=session.schedule)
    days = {clock.timezone.localtime(s.start).date() for s in slots}
    # Wednesdays 23 and 30 September, 14 October; 7 October is National Day.
    assert days == {date(2026, 9, 23), date(2026, 9, 30), date(2026, 10, 14)}
    assert all(clock.timezone.localtime(s.start).hour in (14, 15, 16) for s in slots)


def test_slots_cover_four_weeks_and_respect_holidays(loaded):
    today = clock.today()
    local = [
        (clock.timezone.localtime(start).date(), runs, weekday)
        for start, runs, weekday in Slot.objects.values_list(
            "start", "schedule__runs_on_holidays", "schedule__weekday"
        )
    ]
    for week in range(4):
        first = today + timedelta(days=7 * week)
        assert any(first <= day < first + timedelta(days=7) for day, _, _ in local), week
    assert max(day for day, _, _ in local) < today + timedelta(days=28)
    holidays = set(PublicHoliday.objects.filter(kind="holiday").values_list("date", flat=True))
    on_holidays = [(day, runs) for day, runs, _ in local if day in holidays]
    assert on_holidays, "the online evening consultations run on holidays"
    assert all(runs for _, runs in on_holidays)
    # Saturday 10 October is an adjusted working day: it runs Monday's schedules only.
    adjusted = {weekday for day, _, weekday in local if day == date(2026, 10, 10)}
    assert adjusted == {0}


def test_enrolments_are_plausible_and_eligible(loaded):
    by_package = Counter(Enrolment.objects.values_list("package__code", flat=True))
    assert by_package["package.elderly"] > 0
    assert by_package["package.child"] > 0
    today = clock.today()
    for enrolment in Enrolment.objects.select_related("resident", "package"):
        for on in (enrolment.enrolled_on, today):
            assert is_eligible(enrolment.package, resident_facts(enrolment.resident, on=on))
        assert enrolment.enrolled_by is not None
    elders = Enrolment.objects.filter(package__code="package.elderly")
    share = elders.count() / max(
        sum(1 for r in generate(N, SEED).residents if r.age >= 65), 1
    )  # fmt: skip
    assert share > 0.5
    items = EnrolmentItemState.objects.filter(enrolment__in=elders).count()
    assert items == elders.count() * elders.first().package.items.count()


def test_command_prints_supply_counts(db):
    out = StringIO()
    call_command("demo", residents=N, seed=SEED, stdout=out)
    text = out.getvalue()
    for model in (Organisation, Provider, WeeklySchedule, Slot, Enrolment):
        assert str(model._meta.verbose_name_plural) in text
