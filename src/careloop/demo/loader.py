"""Writing the generated demo community to the database, once.

Why this bypasses ``residents.services.register_resident`` and the other per-row services:
registering 12,000 residents one by one means 12,000 duplicate checks, 12,000 INSERTs and
12,000 hash-chained audit rows (each locking the chain head), which takes minutes; a demo
must load in seconds. The loader instead writes every table with ``bulk_create`` in batches,
inside ONE transaction, and records ONE audit event (``careloop.demo.loaded``) in that same
transaction. It gives up nothing the services would check:

- the data is valid by construction: ``generator`` builds ID numbers with the real
  ``check_digit``, birth dates and sexes from the same values, unique numbers and phones;
  ``tests/demo`` runs every generated ID number through ``parse_id_number`` and every phone
  through ``validate_mobile``, and compares them with the rows written;
- encryption still happens: ``bulk_create`` calls ``EncryptedTextField.get_prep_value`` for
  every row, and the blind indexes are computed here exactly as ``_apply_hashes`` does
  (a test checks both agree, and that the resident is found by ID number and by phone);
- the database constraints (unique ID-number hash, one active contract per resident, no
  self-guardianship) hold, and a clash rolls back the whole load.

Idempotent: the community with code ``demo`` is the marker. When it exists, ``load`` writes
nothing and reports what is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock, crypto
from careloop.core.errors import ConflictError
from careloop.core.models import AuditEvent, Community, User
from careloop.core.roles import Role
from careloop.demo.bulk import bulk_create as _bulk_create
from careloop.demo.clinic_readings import write_clinic_readings
from careloop.demo.demands import history_counts, write_demands
from careloop.demo.generator import (
    COMMUNITY_CODE,
    COMMUNITY_NAME,
    DEFAULT_RESIDENTS,
    DEFAULT_SEED,
    DISTRICT,
    DemoCommunity,
    demo_usernames,
    generate,
)
from careloop.demo.health_loader import health_counts, write_health
from careloop.demo.supply_loader import supply_counts, write_supply
from careloop.observations.models import Observation
from careloop.residents.models import (
    CareContract,
    CareTeam,
    CareTeamMember,
    ContractStatus,
    GuardianLink,
    Household,
    Resident,
)

LOADED_ACTION = "careloop.demo.loaded"


@dataclass(frozen=True)
class Login:
    username: str
    role: str  # Role value; "" for a user without a role


@dataclass(frozen=True)
class LoadResult:
    created: bool  # False when the demo was already there and nothing was written
    community: Community
    seed: int | None
    counts: dict[str, int]
    logins: tuple[Login, ...]


def load(
    *, n: int = DEFAULT_RESIDENTS, seed: int = DEFAULT_SEED, password: str | None = None
) -> LoadResult:
    """Load the demo community of ``n`` residents for ``seed``, unless it is already there.

    All demo users get ``password`` (default ``settings.CARELOOP_DEMO_PASSWORD``).
    """
    password = settings.CARELOOP_DEMO_PASSWORD if password is None else password
    try:
        with transaction.atomic():
            existing = Community.objects.filter(code=COMMUNITY_CODE).first()
            if existing is not None:
                return _existing(existing)
            demo = generate(n, seed)
            _check_usernames(demo)
            community = Community.objects.create(
                code=COMMUNITY_CODE, name=COMMUNITY_NAME, district=DISTRICT
            )
            counts = _write(demo, community, password)
            audit.record(
                actor=None,
                action=LOADED_ACTION,
                object_type="core.community",
                object_id=community.code,
                detail={"seed": seed, "residents": n, "counts": counts},
            )
    except IntegrityError as exc:
        raise ConflictError(
            "demo.conflict",
            _("The demo community clashes with data already in the database: %(error)s")
            % {"error": exc},
        ) from exc
    logins = tuple(Login(u.username, u.roles[0] if u.roles else "") for u in demo.users)
    return LoadResult(True, community, seed, counts, logins)


def _check_usernames(demo: DemoCommunity) -> None:
    wanted = [u.username for u in demo.users]
    taken = sorted(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    if taken:
        raise ConflictError(
            "demo.username_taken",
            _("The demo cannot be loaded: these usernames are already taken: %(names)s.")
            % {"names": ", ".join(taken)},
        )


def _write(demo: DemoCommunity, community: Community, password: str) -> dict[str, int]:
    # Demo only: one argon2 hash (deliberately slow, ~50 ms) shared by every demo user, so
    # that 50 logins cost one hash instead of 50. Real accounts get their own salted hash.
    password_hash = make_password(password)
    users = [
        User(
            username=spec.username,
            name=spec.name,
            community=community,
            password=password_hash,
            is_superuser=spec.is_superuser,
            is_staff=spec.is_superuser,
        )
        for spec in demo.users
    ]
    _bulk_create(User, users, key="username")
    role_names = sorted({role for spec in demo.users for role in spec.roles})
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in role_names}
    Membership = User.groups.through
    _bulk_create(
        Membership,
        [
            Membership(user_id=user.pk, group_id=groups[role].pk)
            for user, spec in zip(users, demo.users, strict=True)
            for role in spec.roles
        ],
    )

    teams = [CareTeam(community=community, name=spec.name) for spec in demo.teams]
    _bulk_create(CareTeam, teams, key="public_id")
    _bulk_create(
        CareTeamMember,
        [
            CareTeamMember(team_id=teams[spec.team].pk, user_id=user.pk, is_lead=spec.is_lead)
            for user, spec in zip(users, demo.users, strict=True)
            if spec.team is not None
        ],
    )

    households = [
        Household(
            community_id=community.pk,
            code=spec.code,
            address=spec.address,
            latitude=spec.latitude,
            longitude=spec.longitude,
        )
        for spec in demo.households
    ]
    _bulk_create(Household, households, key="public_id")

    # Foreign keys are set by id (``household_id=``): the descriptors would cost seconds.
    user_of = {spec.resident: user.pk for user, spec in zip(users, demo.users, strict=True)}
    residents = []
    for i, spec in enumerate(demo.residents):
        residents.append(
            Resident(
                community_id=community.pk,
                household_id=households[spec.household].pk,
                user_id=user_of.get(i),
                name=spec.name,
                sex=spec.sex,
                birth_date=spec.birth_date,
                id_number=spec.id_number,
                # The same blind indexes as residents.services._apply_hashes.
                id_number_hash=crypto.blind_index(spec.id_number, purpose="id_number"),
                phone=spec.phone,
                phone_hash=crypto.blind_index(spec.phone, purpose="phone") if spec.phone else "",
                address=demo.households[spec.household].address,
                occupation=spec.occupation,
                living_alone=spec.living_alone,
                disability=spec.disability,
                contact_channel=spec.contact_channel,
                has_smartphone=spec.has_smartphone,
                contact_note=spec.contact_note,
                preferred_time_of_day=spec.preferred_time_of_day,
            )
        )
    _bulk_create(Resident, residents, key="public_id")

    doctors = {user.username: user.pk for user in users}
    today = clock.today()
    contracts = []
    for resident, spec in zip(residents, demo.residents, strict=True):
        if spec.team is None or spec.contract_days_ago is None:
            continue
        signed_on = today - timedelta(days=spec.contract_days_ago)
        contracts.append(
            CareContract(
                resident_id=resident.pk,
                team_id=teams[spec.team].pk,
                doctor_id=doctors.get(spec.doctor),
                signed_on=signed_on,
                ends_on=_one_year_after(signed_on),
                status=ContractStatus.ACTIVE,
            )
        )
    _bulk_create(CareContract, contracts)
    links = [
        GuardianLink(
            guardian_id=residents[link.guardian].pk,
            dependant_id=residents[link.dependant].pk,
            relation=link.relation,
        )
        for link in demo.guardians
    ]
    _bulk_create(GuardianLink, links)
    counts = {
        "residents": len(residents),
        "households": len(households),
        "care_teams": len(teams),
        "care_contracts": len(contracts),
        "guardian_links": len(links),
        "users": len(users),
    }
    counts.update(write_supply(demo, community, users, residents))
    counts.update(write_health(demo, demo.seed, residents))
    write_clinic_readings(demo.seed, community)
    counts["readings"] = Observation.objects.filter(resident__community=community).count()
    # A year of demand history ending now, beside the device-alert demands just filed.
    write_demands(demo, community, users, residents)
    counts.update(history_counts(community))
    return counts


def _one_year_after(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year + 1, 2, 28)
    return day.replace(year=day.year + 1)


def _existing(community: Community) -> LoadResult:
    event = (
        AuditEvent.objects.filter(action=LOADED_ACTION, object_id=community.code)
        .order_by("-id")
        .first()
    )
    counts = {
        "residents": Resident.objects.filter(community=community).count(),
        "households": Household.objects.filter(community=community).count(),
        "care_teams": CareTeam.objects.filter(community=community).count(),
        "care_contracts": CareContract.objects.filter(
            resident__community=community, status=ContractStatus.ACTIVE
        ).count(),
        "guardian_links": GuardianLink.objects.filter(dependant__community=community).count(),
        "users": User.objects.filter(community=community).count(),
        **supply_counts(community),
        **health_counts(community),
        **history_counts(community),
    }
    seed = event.detail.get("seed") if event is not None else None
    wanted = demo_usernames(seed if isinstance(seed, int) else DEFAULT_SEED)
    users = {
        user.username: user
        for user in User.objects.filter(community=community, username__in=wanted).prefetch_related(
            "groups"
        )
    }
    role_order = {role.value: i for i, role in enumerate(Role)}
    logins = tuple(
        Login(
            username,
            min(
                (group.name for group in users[username].groups.all()),
                key=lambda name: role_order.get(name, len(role_order)),
                default="",
            ),
        )
        for username in wanted
        if username in users
    )
    return LoadResult(False, community, seed, counts, logins)
