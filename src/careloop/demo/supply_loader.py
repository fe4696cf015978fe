"""Writing the demo's supply side (``careloop.demo.supply``) inside the demo's transaction.

The few rows that stand for decisions go through the catalogue services, which validate
and audit each one, acting as the demo's ``admin`` (a superuser): the five organisations
(``create_organisation``), the referral agreements (``create_referral_agreement``) and the
visiting specialists' sessions (``create_specialist_session``, which also checks that the
specialist offers the session's services and that it overlaps nothing). Slots come from
``generate_slots`` like the nightly task's (holidays, adjusted working days and past times
handled there; one audit event).

The volume goes in bulk, for the reasons given in ``careloop.demo.loader``: about a hundred
providers with their skills, services and languages, four hundred weekly schedules and
thousands of package enrolments with their item states would cost thousands of audit rows
through ``create_provider`` / ``create_weekly_schedule`` / ``enrol_resident``. What those
services would check holds by construction and is tested in ``tests/demo``: the supply
generator gives each provider only services its skills qualify for, schedules of one
provider never overlap and offer only the provider's services in a mode the service has,
home visits have one place; and an enrolment is written only when the resident is eligible
for the package (``catalogue.eligibility.is_eligible``) on the enrolment day and today.
The counts go into the demo's one ``careloop.demo.loaded`` audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from careloop.catalogue.eligibility import ResidentFacts, age_on, is_eligible
from careloop.catalogue.models import (
    Enrolment,
    EnrolmentItemState,
    Language,
    Organisation,
    Package,
    Provider,
    Service,
    ServiceMode,
    Skill,
    Slot,
    WeeklySchedule,
)
from careloop.catalogue.services import (
    create_organisation,
    create_referral_agreement,
    create_specialist_session,
    generate_slots,
)
from careloop.core import clock
from careloop.core.models import Community, User
from careloop.demo.bulk import bulk_create as _bulk_create
from careloop.demo.generator import DemoCommunity
from careloop.demo.supply import (
    SLOT_DAYS,
    DemoSupply,
    ServiceInfo,
    enrolment_plan,
    generate_supply,
)
from careloop.residents.models import Resident

SUPPLY_KEYS = ("organisations", "providers", "weekly_schedules", "slots", "enrolments")


def database_catalogue() -> tuple[ServiceInfo, ...]:
    """``ServiceInfo`` of the active services in the database, in code order."""
    skills: dict[int, set[str]] = {}
    for service_id, code in Service.required_skills.through.objects.values_list(
        "service_id", "skill__code"
    ):
        skills.setdefault(service_id, set()).add(code)
    modes: dict[int, set[str]] = {}
    for service_id, mode in ServiceMode.objects.values_list("service_id", "mode"):
        modes.setdefault(service_id, set()).add(mode)
    active = Service.objects.filter(active=True).order_by("code").values_list("pk", "code")
    return tuple(
        ServiceInfo(code, frozenset(skills.get(pk, ())), frozenset(modes.get(pk, ())))
        for pk, code in active
    )


def write_supply(
    demo: DemoCommunity,
    community: Community,
    users: Sequence[User],
    residents: Sequence[Resident],
) -> dict[str, int]:
    """Write the supply side for the demo just written (``users`` and ``residents`` in the
    order of ``demo.users`` and ``demo.residents``). Returns the counts."""
    supply = generate_supply(demo.users, database_catalogue(), demo.seed)
    user_pk = {user.username: user.pk for user in users}
    admin = next(user for user in users if user.is_superuser)
    today = clock.today()
    organisations = _organisations(supply, community, admin, today)
    providers = _providers(supply, organisations, user_pk)
    schedules = _schedules(supply, organisations, providers, admin, today)
    generate_slots(actor=None, start=today, days=SLOT_DAYS)
    enrolments = _enrolments(demo, residents, user_pk, today)
    return {
        "organisations": len(organisations),
        "providers": len(providers),
        "weekly_schedules": schedules,
        "slots": Slot.objects.filter(provider__organisation__community=community).count(),
        "enrolments": enrolments,
    }


def supply_counts(community: Community) -> dict[str, int]:
    """The counts of ``write_supply``, read back from the database."""
    return {
        "organisations": Organisation.objects.filter(community=community).count(),
        "providers": Provider.objects.filter(organisation__community=community).count(),
        "weekly_schedules": WeeklySchedule.objects.filter(
            provider__organisation__community=community
        ).count(),
        "slots": Slot.objects.filter(provider__organisation__community=community).count(),
        "enrolments": Enrolment.objects.filter(
            resident__community=community, status="active"
        ).count(),
    }


def _organisations(
    supply: DemoSupply, community: Community, admin: User, today: date
) -> dict[str, Organisation]:
    organisations = {
        spec.code: create_organisation(
            actor=admin,
            code=spec.code,
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            kind=spec.kind,
            community=community,
            address=spec.address,
            phone=spec.phone,
            latitude=spec.latitude,
            longitude=spec.longitude,
        )
        for spec in supply.organisations
    }
    for spec in supply.agreements:
        create_referral_agreement(
            actor=admin,
            organisation=organisations[spec.organisation],
            partner=organisations[spec.partner],
            kind=spec.kind,
            valid_from=date(today.year - 1, 1, 1),
            valid_to=date(today.year + 2, 12, 31),
            note=spec.note,
        )
    return organisations


def _providers(
    supply: DemoSupply, organisations: dict[str, Organisation], user_pk: dict[str, int]
) -> list[Provider]:
    providers = [
        Provider(
            name=spec.name,
            kind=spec.kind,
            title=spec.title,
            organisation_id=organisations[spec.organisation].pk,
            user_id=user_pk[spec.username] if spec.username else None,
            sex=spec.sex,
            base_latitude=spec.base_latitude,
            base_longitude=spec.base_longitude,
            radius_km=spec.radius_km,
        )
        for spec in supply.providers
    ]
    _bulk_create(Provider, providers, key="public_id")
    for field, model, attribute in (
        ("skills", Skill, "skills"),
        ("services", Service, "services"),
        ("languages", Language, "languages"),
    ):
        pks = dict(model.objects.values_list("code", "pk"))
        through = getattr(Provider, field).through
        column = f"{model._meta.model_name}_id"
        _bulk_create(
            through,
            [
                through(provider_id=provider.pk, **{column: pks[code]})
                for provider, spec in zip(providers, supply.providers, strict=True)
                for code in getattr(spec, attribute)
                if code in pks
            ],
        )
    return providers


def _schedules(
    supply: DemoSupply,
    organisations: dict[str, Organisation],
    providers: list[Provider],
    admin: User,
    today: date,
) -> int:
    services = dict(Service.objects.values_list("code", "pk"))
    service_objs = {s.code: s for s in Service.objects.filter(code__in=_codes(supply))}
    weekly: list[WeeklySchedule] = []
    weekly_specs = []
    specialist = 0
    for spec in supply.schedules:
        if spec.specialty_zh:
            create_specialist_session(
                actor=admin,
                host=organisations[spec.site],
                provider=providers[spec.provider],
                specialty_zh=spec.specialty_zh,
                specialty_en=spec.specialty_en,
                weekday=spec.weekday,
                start_time=spec.start,
                end_time=spec.end,
                slot_minutes=spec.slot_minutes,
                capacity=spec.capacity,
                mode=spec.mode,
                valid_from=today,
                location=spec.location,
                services=[service_objs[code] for code in spec.services],
            )
            specialist += 1
            continue
        weekly_specs.append(spec)
        weekly.append(
            WeeklySchedule(
                provider_id=providers[spec.provider].pk,
                organisation_id=organisations[spec.site].pk,
                weekday=spec.weekday,
                start_time=spec.start,
                end_time=spec.end,
                slot_minutes=spec.slot_minutes,
                capacity=spec.capacity,
                mode=spec.mode,
                location=spec.location,
                valid_from=today,
                runs_on_holidays=spec.runs_on_holidays,
            )
        )
    _bulk_create(WeeklySchedule, weekly, key="public_id")
    through = WeeklySchedule.services.through
    _bulk_create(
        through,
        [
            through(weeklyschedule_id=schedule.pk, service_id=services[code])
            for schedule, spec in zip(weekly, weekly_specs, strict=True)
            for code in spec.services
        ],
    )
    return len(weekly) + specialist


def _codes(supply: DemoSupply) -> set[str]:
    return {code for spec in supply.schedules if spec.specialty_zh for code in spec.services}


def _enrolments(
    demo: DemoCommunity, residents: Sequence[Resident], user_pk: dict[str, int], today: date
) -> int:
    packages = {
        package.code: package
        for package in Package.objects.filter(active=True).prefetch_related(
            "required_tags", "items"
        )
    }
    rules = {code: package.eligibility for code, package in packages.items()}
    enrolments: list[Enrolment] = []
    for spec in enrolment_plan(demo, demo.seed):
        package = packages.get(spec.package)
        if package is None:
            continue
        resident = demo.residents[spec.resident]
        enrolled_on = today - timedelta(days=spec.days_ago)
        tags = frozenset(
            tag
            for tag, present in (
                ("living_alone", resident.living_alone),
                ("disability", bool(resident.disability)),
            )
            if present
        )
        facts = (
            ResidentFacts(age_on(resident.birth_date, on), resident.sex, tags)
            for on in (enrolled_on, today)
        )
        if not all(is_eligible(rules[spec.package], fact) for fact in facts):
            continue
        team = demo.households[resident.household].team
        enrolments.append(
            Enrolment(
                resident_id=residents[spec.resident].pk,
                package_id=package.pk,
                enrolled_on=enrolled_on,
                enrolled_by_id=user_pk.get(f"health_manager{team + 1}"),
            )
        )
    _bulk_create(Enrolment, enrolments, key="public_id")
    items = {code: [item.pk for item in package.items.all()] for code, package in packages.items()}
    code_of = {package.pk: code for code, package in packages.items()}
    _bulk_create(
        EnrolmentItemState,
        [
            EnrolmentItemState(enrolment_id=enrolment.pk, item_id=item)
            for enrolment in enrolments
            for item in items[code_of[enrolment.package_id]]
        ],
    )
    return len(enrolments)
