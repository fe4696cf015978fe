"""The fixed cast of test personas, set up through services (never raw ORM writes for
domain rows). Community "east" has care team A (doctor_a, nurse_a) and team B (doctor_b);
residents: wang (team A, has a login), li (team A, dependant of wang), zhao (team B, has a
login). Community "west" has its own director and resident chen."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import translation

from careloop.core.models import Community, User
from careloop.core.roles import Role
from careloop.residents import services as resident_services
from careloop.residents.models import CareTeam, CareTeamMember, GuardianRelation, Resident

PASSWORD = "Correct-Horse-42"

# Valid GB 11643 numbers (check digits computed), one per persona.
ID_WANG = "11010519491231002X"  # female, born 1949-12-31
ID_LI = "110105201503070013"
ID_ZHAO = "310104198802140030"
ID_CHEN = "440305197606060043"


@pytest.fixture(scope="session", autouse=True)
def no_session_left_behind(django_db_setup, django_db_blocker):
    """On PostgreSQL, end any other session still connected to this worker's test database
    before pytest-django drops it (else the drop fails and the database is left behind).
    A connection opened in another thread or contextvars context is not closed by the test
    that opened it; what each one last ran is printed, to find it."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid), left(query, 200) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for _, query in cursor.fetchall():
            print(f"\nclosed a session left open; its last query: {query}", file=sys.__stderr__)
    connection.close()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts and ends in the default language: a request that activated English
    must not change what the next test sees."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """Argon2 costs ~0.3 s a hash on purpose; tests use a fast hasher unless they are marked
    ``real_hashing`` (the tests that check the production hasher itself)."""
    if "real_hashing" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, *roles: Role, community: Community | None = None) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, name=username.title(), community=community
    )
    user.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))
    return User.objects.get(pk=user.pk)  # fresh: no cached roles


@dataclass
class Cast:
    east: Community
    west: Community
    admin: User
    director: User
    west_director: User
    doctor_a: User
    nurse_a: User
    doctor_b: User
    cashier: User
    auditor: User
    team_a: CareTeam
    team_b: CareTeam
    wang: Resident
    li: Resident
    zhao: Resident
    chen: Resident
    wang_user: User
    zhao_user: User
    chen_user: User


@pytest.fixture
def cast(db) -> Cast:
    east = Community.objects.create(code="east", name="东湖社区", district="武昌区")
    west = Community.objects.create(code="west", name="西山社区", district="洪山区")
    admin = User.objects.create_superuser("admin", password=PASSWORD, name="管理员")
    director = make_user("director", Role.CENTRE_DIRECTOR, community=east)
    west_director = make_user("west_director", Role.CENTRE_DIRECTOR, community=west)
    doctor_a = make_user("doctor_a", Role.FAMILY_DOCTOR, community=east)
    nurse_a = make_user("nurse_a", Role.NURSE, community=east)
    doctor_b = make_user("doctor_b", Role.FAMILY_DOCTOR, community=east)
    cashier = make_user("cashier", Role.CASHIER, community=east)
    auditor = make_user("auditor", Role.AUDITOR, community=east)
    team_a = CareTeam.objects.create(community=east, name="王医生团队")
    team_b = CareTeam.objects.create(community=east, name="赵医生团队")
    CareTeamMember.objects.create(team=team_a, user=doctor_a, is_lead=True)
    CareTeamMember.objects.create(team=team_a, user=nurse_a)
    CareTeamMember.objects.create(team=team_b, user=doctor_b, is_lead=True)
    wang_user = make_user("wang", Role.RESIDENT, community=east)
    zhao_user = make_user("zhao", Role.RESIDENT, community=east)
    chen_user = make_user("chen", Role.RESIDENT, community=west)

    def register(community, name, id_number, phone, user=None, actor=director):
        return resident_services.register_resident(
            actor=actor,
            community=community,
            name=name,
            id_number=id_number,
            phone=phone,
            address="武汉市武昌区东湖路1号",
            user=user,
        )

    wang = register(east, "王秀英", ID_WANG, "13800138000", wang_user)
    li = register(east, "李小明", ID_LI, "")
    zhao = register(east, "赵建国", ID_ZHAO, "13912345678", zhao_user)
    chen = register(west, "陈静", ID_CHEN, "13700001111", chen_user, actor=west_director)
    for resident, team, doctor in (
        (wang, team_a, doctor_a),
        (li, team_a, doctor_a),
        (zhao, team_b, doctor_b),
    ):
        resident_services.sign_contract(actor=director, resident=resident, team=team, doctor=doctor)
    resident_services.link_guardian(
        actor=director, guardian=wang, dependant=li, relation=GuardianRelation.OTHER
    )
    return Cast(
        east=east, west=west, admin=admin, director=director, west_director=west_director,
        doctor_a=doctor_a, nurse_a=nurse_a, doctor_b=doctor_b, cashier=cashier,
        auditor=auditor, team_a=team_a, team_b=team_b, wang=wang, li=li, zhao=zhao,
        chen=chen, wang_user=wang_user, zhao_user=zhao_user, chen_user=chen_user,
    )  # fmt: skip


def restore_migration_data() -> None:
    """A transactional test (live server, browser) ends by flushing every table, the rows the
    data migrations wrote included. Put back what the cast and the pages rely on: role groups
    the default alert rules, the service catalogue and the holiday table."""
    import importlib

    from django.apps import apps

    for role in Role:
        Group.objects.get_or_create(name=str(role))
    rules = importlib.import_module("careloop.observations.migrations.0002_default_alert_rules")
    rules.add_rules(apps, None)
    from careloop.catalogue import services as catalogue_services
    from careloop.catalogue.models import PublicHoliday, Service

    if not Service.objects.exists():
        catalogue_services.load_catalogue(actor=None)
    if not PublicHoliday.objects.exists():
        catalogue_services.load_holidays(actor=None)


@pytest.fixture
def migration_data(transactional_db) -> None:
    """For tests whose rows must be committed (two connections, a live server): put back
    what the flush of earlier transactional tests removed."""
    restore_migration_data()
