"""Loading the demo community into the database: idempotent, deterministic, encrypted, and
scoped like any other data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection, transaction
from django.test import RequestFactory

from careloop.catalogue.models import (
    Enrolment,
    EnrolmentItemState,
    Organisation,
    Provider,
    ReferralAgreement,
    Slot,
    SpecialistSession,
    WeeklySchedule,
)
from careloop.core import audit, clock
from careloop.core.errors import ConflictError
from careloop.core.models import AuditEvent, Community, User
from careloop.core.roles import Role
from careloop.core.validators import parse_id_number, validate_mobile
from careloop.demo.demands import HISTORY_KEYS
from careloop.demo.generator import REFERENCE_DATE, generate
from careloop.demo.health_loader import HEALTH_KEYS
from careloop.demo.loader import LOADED_ACTION, load
from careloop.demo.supply_loader import SUPPLY_KEYS
from careloop.residents.models import (
    CareContract,
    CareTeam,
    CareTeamMember,
    GuardianLink,
    Household,
    Resident,
)
from careloop.residents.selectors import residents_visible_to, search_residents
from careloop.residents.services import _apply_hashes

N = 300
SEED = 7
DEMAND_KEYS = ("residents", "households", "care_teams", "care_contracts", "guardian_links",
               "users")  # fmt: skip


@pytest.fixture
def loaded(db):
    return load(n=N, seed=SEED)


def table_counts() -> dict[str, int]:
    models = (Community, User, CareTeam, CareTeamMember, Household, Resident, CareContract,
              GuardianLink, AuditEvent, Organisation, Provider, ReferralAgreement,
              SpecialistSession, WeeklySchedule, Slot, Enrolment, EnrolmentItemState)  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


def snapshot() -> dict[str, list]:
    """Everything the demo writes, keyed by natural values (no database ids)."""
    residents = Resident.objects.select_related("household", "user").order_by("id_number_hash")
    contracts = CareContract.objects.select_related("resident", "team", "doctor")
    links = GuardianLink.objects.select_related("guardian", "dependant")
    users = User.objects.prefetch_related("groups")
    return {
        "residents": sorted(
            (
                r.name,
                r.id_number,
                r.sex,
                r.birth_date,
                r.phone,
                r.address,
                r.occupation,
                r.disability,
                r.living_alone,
                r.household.code,
                r.user.username if r.user else "",
            )
            for r in residents
        ),
        "households": sorted(
            (h.code, h.address, h.latitude, h.longitude) for h in Household.objects.all()
        ),
        "contracts": sorted(
            (c.resident.id_number, c.team.name, c.doctor.username, c.signed_on, c.ends_on)
            for c in contracts
        ),
        "links": sorted((g.guardian.id_number, g.dependant.id_number, g.relation) for g in links),
        "users": sorted(
            (u.username, u.name, u.is_superuser, sorted(g.name for g in u.groups.all()))
            for u in users
        ),
        "providers": sorted(
            (
                p.name,
                p.kind,
                p.organisation.code,
                p.user.username if p.user else "",
                p.sex,
                p.base_latitude,
                p.radius_km,
                sorted(s.code for s in p.services.all()),
            )
            for p in Provider.objects.select_related("organisation", "user").prefetch_related(
                "services"
            )
        ),
        "slots": sorted(
            (s.provider.name, s.start, s.mode, s.capacity)
            for s in Slot.objects.select_related("provider")
        ),
        "enrolments": sorted(
            (e.resident.id_number, e.package.code, e.enrolled_on)
            for e in Enrolment.objects.select_related("resident", "package")
        ),
    }


def test_load_writes_the_generated_community(loaded):
    demo = generate(N, SEED)
    assert loaded.created
    community = Community.objects.get(code="demo")
    assert community.name == "幸福里社区"
    assert community.district == "武昌区"
    assert Resident.objects.filter(community=community).count() == N
    assert Household.objects.filter(community=community).count() == len(demo.households)
    # Every home is on the map, where the generator put its building.
    assert sorted(
        Household.objects.filter(community=community).values_list("code", "latitude", "longitude")
    ) == sorted((h.code, h.latitude, h.longitude) for h in demo.households)
    assert CareTeam.objects.filter(community=community).count() == 8
    contracted = sum(r.team is not None for r in demo.residents)
    assert CareContract.objects.filter(status="active").count() == contracted
    assert GuardianLink.objects.count() == len(demo.guardians)
    assert {key: loaded.counts[key] for key in DEMAND_KEYS} == {
        "residents": N,
        "households": len(demo.households),
        "care_teams": 8,
        "care_contracts": contracted,
        "guardian_links": len(demo.guardians),
        "users": len(demo.users),
    }
    assert set(loaded.counts) == (
        set(DEMAND_KEYS) | set(SUPPLY_KEYS) | set(HEALTH_KEYS) | set(HISTORY_KEYS)
    )
    event = AuditEvent.objects.get(action=LOADED_ACTION)
    assert (event.object_type, event.object_id, event.actor_username) == (
        "core.community",
        "demo",
        "system",
    )
    assert event.detail == {"seed": SEED, "residents": N, "counts": loaded.counts}
    # The one summary event, plus those of the catalogue services the supply side goes
    # through (organisations, agreements, specialist sessions, one slot generation).
    checked, broken = audit.verify_chain()
    assert broken is None and checked == AuditEvent.objects.count() < 30


def test_second_load_writes_nothing(loaded):
    before = table_counts()
    again = load(n=N, seed=SEED)
    assert not again.created
    assert again.counts == loaded.counts
    assert again.seed == SEED
    assert [login.username for login in again.logins] == [login.username for login in loaded.logins]
    assert table_counts() == before  # includes AuditEvent: no second event
    other = load(n=50, seed=99)  # other arguments do not reload either
    assert not other.created
    assert table_counts() == before


def test_two_loads_in_fresh_databases_are_identical(db):
    with transaction.atomic():
        load(n=N, seed=SEED)
        first = snapshot()
        transaction.set_rollback(True)  # back to an empty database
    assert not Community.objects.exists()
    assert not Resident.objects.exists()
    load(n=N, seed=SEED)
    assert snapshot() == first


def test_every_stored_id_number_and_phone_is_valid_and_matches_the_row(loaded):
    for resident in Resident.objects.all():
        info = parse_id_number(resident.id_number, today=clock.today())
        assert info.birth_date == resident.birth_date
        assert info.sex == resident.sex
        adult = resident.birth_date <= REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 18)
        if adult:
            validate_mobile(resident.phone)
        else:
            assert resident.phone == ""  # children have no phone


def test_encrypted_columns_hold_no_plaintext(loaded):
    sample = Resident.objects.exclude(phone="").order_by("id")[:20]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address FROM residents_resident")
        raw = "\n".join("|".join(row) for row in cursor.fetchall())
        cursor.execute("SELECT address FROM residents_household")
        raw_households = "\n".join(row[0] for row in cursor.fetchall())
    for resident in sample:
        assert resident.id_number not in raw
        assert resident.phone not in raw
        assert resident.id_number[6:14] not in raw  # not even the birth date
    for text in (raw, raw_households):
        assert "幸福里" not in text
        assert "武汉" not in text


def test_blind_indexes_match_the_service_and_find_the_resident(loaded):
    director = User.objects.get(username="director")
    for resident in Resident.objects.exclude(phone="").order_by("id")[:10]:
        stored = (resident.id_number_hash, resident.phone_hash)
        _apply_hashes(resident)  # what residents.services would have stored
        assert (resident.id_number_hash, resident.phone_hash) == stored
        assert list(search_residents(director, resident.id_number)) == [resident]
        assert resident in search_residents(director, resident.phone)


def test_every_role_has_a_user_in_the_demo_community(loaded):
    community = Community.objects.get(code="demo")
    users = User.objects.filter(community=community)
    for role in Role:
        assert users.filter(groups__name=role).exists(), role
    assert not User.objects.exclude(community=community).exists()
    for username in ("admin", "director", "doctor1", "doctor2", "nurse1", "resident1",
                     "resident2", "cashier1", "triage_nurse1", "health_manager1",
                     "quality_manager1", "auditor1", "volunteer1"):  # fmt: skip
        assert users.filter(username=username).exists(), username
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.has_role(Role.SYSTEM_ADMIN)
    assert users.get(username="director").has_role(Role.CENTRE_DIRECTOR)
    assert not users.exclude(username="admin").filter(is_staff=True).exists()
    for k in range(1, 6):
        user = users.get(username=f"resident{k}")
        assert user.has_role(Role.RESIDENT)
        assert user.resident.name == user.name


@pytest.mark.real_hashing
def test_demo_password_works_and_is_hashed_once(loaded):
    request = RequestFactory().post("/accounts/login/")
    password = settings.CARELOOP_DEMO_PASSWORD
    user = authenticate(request, username="doctor1", password=password)
    assert user is not None and user.username == "doctor1"
    assert authenticate(request, username="resident1", password="wrong") is None
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1 and next(iter(hashes)).startswith("argon2$")


def test_doctor1_sees_only_residents_contracted_to_their_team(loaded):
    demo = generate(N, SEED)
    doctor1 = User.objects.get(username="doctor1")
    team = next(u.team for u in demo.users if u.username == "doctor1")
    expected = {r.id_number for r in demo.residents if r.team == team}
    visible = {r.id_number for r in residents_visible_to(doctor1)}
    assert visible == expected
    assert 0 < len(visible) < N
    doctor3 = User.objects.get(username="doctor3")  # another team: disjoint
    assert not visible & {r.id_number for r in residents_visible_to(doctor3)}
    director = User.objects.get(username="director")
    assert residents_visible_to(director).count() == N
    assert not residents_visible_to(User.objects.get(username="cashier1")).exists()


def test_resident1_sees_self_and_dependants(loaded):
    user = User.objects.get(username="resident1")
    own = user.resident
    dependants = set(
        GuardianLink.objects.filter(guardian=own).values_list("dependant_id", flat=True)
    )
    assert dependants
    assert {r.pk for r in residents_visible_to(user)} == {own.pk} | dependants
    assert own.contracts.filter(status="active").exists()


def test_username_clash_is_refused_and_nothing_is_written(db):
    User.objects.create_user(username="doctor1", password="Correct-Horse-42")
    before = table_counts()
    with pytest.raises(ConflictError) as caught:
        load(n=N, seed=SEED)
    assert caught.value.code == "demo.username_taken"
    assert "doctor1" in str(caught.value.message)
    assert table_counts() == before


def test_command_prints_counts_and_logins_then_is_idempotent(db):
    out = StringIO()
    call_command("demo", residents=N, seed=SEED, stdout=out)
    first = out.getvalue()
    assert "幸福里社区" in first
    for text in ("admin", "director", "doctor1 … doctor12", "resident1 … resident5",
                 "cashier1", settings.CARELOOP_DEMO_PASSWORD):  # fmt: skip
        assert text in first
    events = AuditEvent.objects.count()
    out = StringIO()
    call_command("demo", residents=N, seed=SEED, stdout=out)
    assert "doctor1 … doctor12" in out.getvalue()
    assert out.getvalue().splitlines()[0] != first.splitlines()[0]
    assert AuditEvent.objects.count() == events
    assert Resident.objects.count() == N


def test_analyse_records_findings_and_runs_the_analyses(db):
    """``make run`` loads with ``--analyse``: the dashboard opens with analyses to show (the
    job queue runs at once in tests)."""
    from careloop.analytics.models import AnalyticsRun

    out = StringIO()
    call_command("demo", residents=N, seed=SEED, analyse=True, stdout=out)
    assert "improvement findings recorded" in out.getvalue() or "改进发现" in out.getvalue()
    kinds = set(AnalyticsRun.objects.values_list("kind", flat=True))
    assert {"describe", "segments", "rules"} <= kinds
