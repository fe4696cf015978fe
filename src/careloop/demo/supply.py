"""The supply side of the demo as plain data: ``generate_supply`` touches no database.

Who serves the demo community (002 §3.3): its community health centre, a district hospital
of the medical alliance (医联体) whose specialists hold weekly sessions at the centre, two
contracted third-party agencies (rehabilitation and psychological support; home nursing and
elderly care) and a silver-age volunteer team (银龄志愿者服务队). The centre's practitioners
are the demo's doctor, nurse and health-manager logins; the partners' staff and the
volunteers have no login, except ``volunteer1``, the team's first volunteer.

Every provider offers the services of its profile that its skills qualify for (a service
requiring several skills accepts any one of them, as ``selectors.providers_for_service``
reads it), so the result depends on the catalogue passed in: the loader passes the
database's, the tests the shipped ``catalogue-v1.json``. Weekly schedules never overlap for
one provider and offer only services of the provider that can be delivered in their mode.

Determinism: draws come from ``random.Random`` seeded with a string derived from ``seed``;
the catalogue is read in code order. ``enrolment_plan`` decides who is offered which package
from ages on ``REFERENCE_DATE``; the loader keeps only those eligible on the enrolment day.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Any

from careloop.core.roles import Role
from careloop.demo.generator import (
    ADULT_AGE,
    CENTRE_LAT,
    CENTRE_LON,
    COMMUNITY_NAME,
    FEMALE,
    MALE,
    DemoCommunity,
    UserSpec,
    _given_name,
    _staff_person,
    _surname,
)

# Values of catalogue.models (kept literal so this module needs no app registry).
COMMUNITY_CENTRE, HOSPITAL, THIRD_PARTY, VOLUNTEER_TEAM = (
    "community_centre", "hospital", "third_party", "volunteer_team",
)  # fmt: skip
PRACTITIONER, HEALTH_MANAGER, VOLUNTEER = "practitioner", "health_manager", "volunteer"
HOME, CLINIC, ONLINE, GROUP = "home", "clinic", "online", "group"
TWO_WAY, SPECIALIST_ALLIANCE, REMOTE_CONSULTATION, SERVICE_CONTRACT = (
    "two_way", "specialist_alliance", "remote_consultation", "service_contract",
)  # fmt: skip
ELDERLY, CHILD, WORKING, SPECIAL = (
    "package.elderly", "package.child", "package.working", "package.special",
)  # fmt: skip

CENTRE = "demo.centre"
HOSPITAL_CODE = "demo.hospital"
REHAB = "demo.rehab"
HOMECARE = "demo.homecare"
VOLUNTEERS = "demo.volunteers"
VOLUNTEER_COUNT = 60
SLOT_DAYS = 28  # slots are generated four weeks ahead, as the nightly task does

AM = (time(8, 0), time(11, 30))
PM = (time(14, 0), time(17, 0))
EVENING = (time(19, 0), time(21, 0))
WEEKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class ServiceInfo:
    """What the generator needs to know of a catalogue service."""

    code: str
    skills: frozenset[str]
    modes: frozenset[str]


@dataclass(frozen=True)
class OrganisationSpec:
    code: str
    name_zh: str
    name_en: str
    kind: str
    address: str
    phone: str
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    kind: str
    title: str
    organisation: str  # code
    sex: str
    skills: tuple[str, ...]
    services: tuple[str, ...]
    languages: tuple[str, ...]
    base_latitude: Decimal
    base_longitude: Decimal
    radius_km: Decimal
    username: str = ""  # the demo login this provider is, "" for none


@dataclass(frozen=True)
class ScheduleSpec:
    provider: int  # index into DemoSupply.providers
    site: str  # organisation code where the sessions take place
    weekday: int
    start: time
    end: time
    slot_minutes: int
    capacity: int
    mode: str
    location: str
    services: tuple[str, ...]
    runs_on_holidays: bool = False
    specialty_zh: str = ""  # a visiting specialist's session (SpecialistSession) when set
    specialty_en: str = ""


@dataclass(frozen=True)
class AgreementSpec:
    organisation: str
    partner: str
    kind: str
    note: str


@dataclass(frozen=True)
class DemoSupply:
    organisations: tuple[OrganisationSpec, ...]
    providers: tuple[ProviderSpec, ...]
    schedules: tuple[ScheduleSpec, ...]
    agreements: tuple[AgreementSpec, ...]


@dataclass(frozen=True)
class EnrolmentSpec:
    resident: int  # index into DemoCommunity.residents
    package: str  # package code
    days_ago: int  # enrolled this many days before the day of loading


def catalogue_from_reference(data: Mapping[str, Any]) -> tuple[ServiceInfo, ...]:
    """``ServiceInfo`` of a shipped catalogue (``reference.read_catalogue()``)."""
    return tuple(
        ServiceInfo(row["code"], frozenset(row["required_skills"]), frozenset(row["modes"]))
        for row in sorted(data["services"], key=lambda row: row["code"])
    )


# ---- organisations and agreements ---------------------------------------------------------

ORGANISATIONS = (
    OrganisationSpec(
        CENTRE, f"{COMMUNITY_NAME}卫生服务中心", "Xingfuli Community Health Service Centre",
        COMMUNITY_CENTRE, "武汉市武昌区幸福路88号", "027-88861200", CENTRE_LAT, CENTRE_LON,
    ),
    OrganisationSpec(
        HOSPITAL_CODE, "武昌区第一人民医院", "Wuchang District First People's Hospital",
        HOSPITAL, "武汉市武昌区紫阳路216号", "027-88877120",
        Decimal("30.532400"), Decimal("114.311800"),
    ),
    OrganisationSpec(
        REHAB, "康宁康复与心理服务中心", "Kangning Rehabilitation and Counselling Services",
        THIRD_PARTY, "武汉市武昌区中山路455号", "027-88925530",
        Decimal("30.548600"), Decimal("114.322700"),
    ),
    OrganisationSpec(
        HOMECARE, "福寿居家养老服务中心", "Fushou Home Care and Elderly Services",
        THIRD_PARTY, "武汉市武昌区幸福路120号", "027-88863370",
        Decimal("30.543100"), Decimal("114.336900"),
    ),
    OrganisationSpec(
        VOLUNTEERS, f"{COMMUNITY_NAME}银龄志愿者服务队", "Xingfuli Silver-Age Volunteer Team",
        VOLUNTEER_TEAM, "武汉市武昌区幸福里小区党群服务中心", "027-88861288",
        Decimal("30.539200"), Decimal("114.331600"),
    ),
)  # fmt: skip

AGREEMENTS = (
    AgreementSpec(CENTRE, HOSPITAL_CODE, TWO_WAY, "医联体双向转诊：上转绿色通道，下转康复随访"),
    AgreementSpec(
        CENTRE, HOSPITAL_CODE, SPECIALIST_ALLIANCE, "专科联盟：心内科、内分泌科等专家每周社区坐诊"
    ),
    AgreementSpec(CENTRE, HOSPITAL_CODE, REMOTE_CONSULTATION, "远程会诊与心电、影像远程诊断"),
    AgreementSpec(CENTRE, REHAB, SERVICE_CONTRACT, "政府购买服务：社区康复与心理服务"),
    AgreementSpec(CENTRE, HOMECARE, SERVICE_CONTRACT, "居家护理、助浴与助餐服务协议"),
)

# ---- profiles: who offers what ------------------------------------------------------------

GP_CLINIC = (
    "basic.common_illness",
    "basic.chronic_refill",
    "basic.two_way_referral",
    "maintenance.hypertension_management",
    "maintenance.diabetes_management",
    "basic.elder_checkup",
    "maintenance.cardiovascular_risk",
)
GP_HOME = (
    "basic.common_illness",
    "maintenance.home_hospital_bed",
    "maintenance.hypertension_management",
    "maintenance.diabetes_management",
    "maintenance.cognitive_screening",
)
GP_ONLINE = ("basic.online_consultation", "basic.chronic_refill", "maintenance.medication_guidance")
NURSE_CLINIC = (
    "basic.vaccination",
    "maintenance.bp_monitoring",
    "maintenance.bone_density",
    "basic.health_record",
    "maintenance.child_growth_monitoring",
)
NURSE_HOME = (
    "maintenance.home_nursing",
    "maintenance.bp_monitoring",
    "maintenance.glucose_monitoring",
    "maintenance.diabetic_foot_screening",
)
HM_CLINIC = (
    "basic.health_record",
    "maintenance.hypertension_management",
    "maintenance.diabetes_management",
    "maintenance.diet_guidance",
)
HM_ONLINE = (
    "maintenance.hypertension_management",
    "maintenance.diabetes_management",
    "maintenance.diet_guidance",
)
HM_CLASSES = (
    "development.peer_support_group",
    "development.health_lecture",
    "development.health_salon",
    "maintenance.exercise_guidance",
)
REHAB_CLINIC = (
    "maintenance.spine_rehab",
    "maintenance.disability_rehab",
    "maintenance.postsurgery_rehab",
    "maintenance.assistive_device_fitting",
    "development.exercise_prescription",
)
REHAB_HOME = (
    "maintenance.postsurgery_rehab",
    "maintenance.disability_rehab",
    "maintenance.assistive_device_fitting",
    "maintenance.postpartum_rehab",
)
PSYCH = (
    "development.psych_counselling",
    "development.child_psych_counselling",
    "development.eap_counselling",
    "development.stress_workshop",
    "development.parent_communication",
    "development.elder_comfort",
)
HOMECARE_NURSE = (
    "maintenance.home_nursing",
    "maintenance.bp_monitoring",
    "maintenance.glucose_monitoring",
    "maintenance.medicine_delivery",
    "maintenance.home_hospital_bed",
)
CARE_WORKER = ("maintenance.home_bathing", "maintenance.low_salt_meals")
VOLUNTEER_HOME = (
    "maintenance.living_alone_visit",
    "maintenance.medicine_delivery",
    "development.smart_device_teaching",
    "development.time_bank",
    "development.elder_comfort",
    "basic.one_key_call",
)
VOLUNTEER_GROUP = (
    "development.smart_device_teaching",
    "development.peer_support_group",
    "development.after_school_health_class",
    "development.time_bank",
)
COACH_CLASSES = (
    "development.taichi_class",
    "development.square_dance",
    "development.walking_group",
)

# Visiting specialists of the hospital: title, specialty, weekday and half-day at the centre,
# the extra service of their clinic.
SPECIALISTS = (
    ("心血管内科副主任医师", "心血管内科", "Cardiology", 2, PM, "maintenance.cardiovascular_risk"),
    ("内分泌科主任医师", "内分泌科", "Endocrinology", 1, AM, "maintenance.diabetes_management"),
    ("神经内科主治医师", "神经内科(记忆门诊)", "Neurology (memory clinic)", 4, AM,
     "maintenance.cognitive_screening"),
    ("呼吸与危重症医学科副主任医师", "呼吸内科", "Respiratory medicine", 3, AM,
     "maintenance.lung_cancer_screening"),
)  # fmt: skip

ROOMS = {
    CLINIC: "门诊一楼全科诊室{n}",
    "nurse": "预防保健科{n}号诊室",
    "hm": "健康管理室{n}",
    "specialist": "门诊三楼专家诊室",
    "lecture": "二楼健康教育室",
    "rehab": "康复治疗室",
    "activity": "社区党群服务中心活动室",
    "square": "幸福里小区中心广场",
    "psych": "心理咨询室",
}


class _Builder:
    def __init__(self, seed: int, catalogue: Sequence[ServiceInfo], used: set[str]) -> None:
        self.rng = random.Random(f"careloop-demo/{seed}/supply")
        self.catalogue = {info.code: info for info in catalogue}
        self.used = used
        self.providers: list[ProviderSpec] = []
        self.schedules: list[ScheduleSpec] = []
        self.busy: list[set[tuple[int, str]]] = []  # per provider: (weekday, half-day) taken

    # -- people --
    def person(self, ages: tuple[int, int], male: float) -> tuple[str, str]:
        return _staff_person(self.rng, self.used, ages, male)

    def offered(self, skills: Iterable[str], profile: Iterable[str]) -> tuple[str, ...]:
        """The profile's services that the skills qualify for, in catalogue order."""
        held = set(skills)
        wanted = set(profile)
        return tuple(
            code
            for code, info in sorted(self.catalogue.items())
            if code in wanted and (not info.skills or info.skills & held)
        )

    def languages(self, english: float, dialect: float = 0.85) -> tuple[str, ...]:
        codes = ["zh"]
        if self.rng.random() < dialect:
            codes.append("zh-wuhan")
        if self.rng.random() < english:
            codes.append("en")
        return tuple(codes)

    def base(self, organisation: OrganisationSpec, spread: float) -> tuple[Decimal, Decimal]:
        q = Decimal("0.000001")
        lat = organisation.latitude + Decimal(str(self.rng.uniform(-spread, spread)))
        lon = organisation.longitude + Decimal(str(self.rng.uniform(-spread, spread)))
        return lat.quantize(q), lon.quantize(q)

    def add(
        self,
        *,
        name: str,
        sex: str,
        kind: str,
        title: str,
        organisation: OrganisationSpec,
        skills: tuple[str, ...],
        profile: Iterable[str],
        radius: str,
        english: float = 0.05,
        spread: float = 0.0,
        username: str = "",
    ) -> int:
        lat, lon = self.base(organisation, spread)
        self.providers.append(
            ProviderSpec(
                name=name,
                kind=kind,
                title=title,
                organisation=organisation.code,
                sex=sex,
                skills=skills,
                services=self.offered(skills, profile),
                languages=self.languages(english),
                base_latitude=lat,
                base_longitude=lon,
                radius_km=Decimal(radius),
                username=username,
            )
        )
        self.busy.append(set())
        return len(self.providers) - 1

    # -- sessions --
    def free_halves(self, p: int, days: Iterable[int], half: str) -> list[int]:
        return [d for d in days if (d, half) not in self.busy[p]]

    def session(
        self,
        p: int,
        weekday: int,
        span: tuple[time, time],
        *,
        mode: str,
        minutes: int,
        profile: Iterable[str],
        capacity: int = 1,
        site: str = "",
        location: str = "",
        holidays: bool = False,
        specialty: tuple[str, str] = ("", ""),
        half: str = "",
    ) -> None:
        provider = self.providers[p]
        services = tuple(
            code
            for code in provider.services
            if code in set(profile) and mode in self.catalogue[code].modes
        )
        if not services:
            return
        half = half or ("am" if span[0] < time(12) else "pm" if span[0] < time(18) else "eve")
        if (weekday, half) in self.busy[p]:
            raise ValueError(f"overlapping session for {provider.name}")
        self.busy[p].add((weekday, half))
        self.schedules.append(
            ScheduleSpec(
                provider=p,
                site=site or provider.organisation,
                weekday=weekday,
                start=span[0],
                end=span[1],
                slot_minutes=minutes,
                capacity=capacity,
                mode=mode,
                location=location,
                services=services,
                runs_on_holidays=holidays,
                specialty_zh=specialty[0],
                specialty_en=specialty[1],
            )
        )


def _org(code: str) -> OrganisationSpec:
    return next(o for o in ORGANISATIONS if o.code == code)


def generate_supply(
    users: Sequence[UserSpec], catalogue: Sequence[ServiceInfo], seed: int
) -> DemoSupply:
    """Organisations, providers, weekly schedules and agreements of the demo for ``seed``.

    ``users`` are the demo logins (``DemoCommunity.users``): its doctors, nurses and health
    managers become the centre's providers and ``volunteer1`` the first volunteer."""
    b = _Builder(seed, catalogue, {u.name for u in users})
    centre, hospital = _org(CENTRE), _org(HOSPITAL_CODE)
    _centre_staff(b, users, centre)
    _specialists(b, hospital, centre)
    _agency_staff(b)
    _volunteers(b, users)
    return DemoSupply(ORGANISATIONS, tuple(b.providers), tuple(b.schedules), AGREEMENTS)


def _centre_staff(b: _Builder, users: Sequence[UserSpec], centre: OrganisationSpec) -> None:
    rng = b.rng
    doctors = [u for u in users if Role.FAMILY_DOCTOR.value in u.roles]
    nurses = [u for u in users if Role.NURSE.value in u.roles]
    managers = [u for u in users if Role.HEALTH_MANAGER.value in u.roles]
    for k, user in enumerate(doctors):
        title = rng.choice(("全科主治医师", "全科主治医师", "全科副主任医师", "全科医师"))
        p = b.add(
            name=user.name,
            sex=user.sex or MALE,
            kind=PRACTITIONER,
            title=title,
            organisation=centre,
            skills=("doctor",),
            profile=(
                *GP_CLINIC,
                *GP_HOME,
                *GP_ONLINE,
                "development.health_lecture",
                "basic.cpr_training",
                "basic.remote_consultation",
                "maintenance.lung_cancer_screening",
                "maintenance.breast_cancer_screening",
                "basic.child_checkup",
                "basic.health_record",
            ),
            radius="3.0",
            english=0.2,
            username=user.username,
        )
        clinic = rng.sample([(d, h) for d in WEEKDAYS for h in ("am", "pm")], 4)
        for day, half in sorted(clinic):
            b.session(
                p,
                day,
                AM if half == "am" else PM,
                mode=CLINIC,
                minutes=15,
                profile=GP_CLINIC,
                location=ROOMS[CLINIC].format(n=k % 6 + 1),
            )
        home_day = rng.choice(b.free_halves(p, WEEKDAYS, "pm"))
        b.session(p, home_day, PM, mode=HOME, minutes=60, profile=GP_HOME)
        b.session(
            p, k % 5, EVENING, mode=ONLINE, minutes=20, profile=GP_ONLINE, holidays=k % 3 == 0
        )
        if k % 4 == 0:  # a monthly-rota health lecture, run weekly in the demo
            day = rng.choice(b.free_halves(p, WEEKDAYS, "pm"))
            b.session(
                p,
                day,
                (time(15, 0), time(16, 30)),
                mode=GROUP,
                minutes=90,
                capacity=30,
                profile=("development.health_lecture",),
                location=ROOMS["lecture"],
            )
    for k, user in enumerate(nurses):
        title = rng.choice(("护师", "主管护师", "护士", "主管护师"))
        p = b.add(
            name=user.name,
            sex=user.sex or FEMALE,
            kind=PRACTITIONER,
            title=title,
            organisation=centre,
            skills=("nurse",),
            profile=(
                *NURSE_CLINIC,
                *NURSE_HOME,
                "basic.aed_access",
                "basic.cpr_training",
                "maintenance.cognitive_screening",
                "development.health_lecture",
            ),
            radius="3.0",
            english=0.1,
            username=user.username,
        )
        mornings = sorted(rng.sample(WEEKDAYS, 3))
        for day in mornings:
            b.session(
                p,
                day,
                AM,
                mode=CLINIC,
                minutes=15,
                profile=NURSE_CLINIC,
                location=ROOMS["nurse"].format(n=k % 4 + 1),
            )
        for day in sorted(rng.sample(WEEKDAYS, 2)):
            b.session(p, day, PM, mode=HOME, minutes=60, profile=NURSE_HOME)
    for k, user in enumerate(managers):
        p = b.add(
            name=user.name,
            sex=user.sex or FEMALE,
            kind=HEALTH_MANAGER,
            title="健康管理师",
            organisation=centre,
            skills=("health_manager",),
            profile=(
                *HM_CLINIC,
                *HM_ONLINE,
                *HM_CLASSES,
                "basic.one_key_call",
                "maintenance.living_alone_visit",
            ),
            radius="3.0",
            english=0.15,
            username=user.username,
        )
        days = rng.sample(WEEKDAYS, 4)
        b.session(
            p,
            days[0],
            AM,
            mode=CLINIC,
            minutes=30,
            profile=HM_CLINIC,
            location=ROOMS["hm"].format(n=k % 3 + 1),
        )
        b.session(
            p,
            days[1],
            AM,
            mode=CLINIC,
            minutes=30,
            profile=HM_CLINIC,
            location=ROOMS["hm"].format(n=k % 3 + 1),
        )
        b.session(p, days[2], PM, mode=ONLINE, minutes=30, profile=HM_ONLINE)
        b.session(
            p,
            days[3],
            (time(9, 30), time(11, 0)),
            mode=GROUP,
            minutes=90,
            capacity=rng.choice((20, 25, 30)),
            profile=(HM_CLASSES[k % len(HM_CLASSES)],),
            location=ROOMS["activity"],
        )


def _specialists(b: _Builder, hospital: OrganisationSpec, centre: OrganisationSpec) -> None:
    for title, zh, en, weekday, span, extra in SPECIALISTS:
        name, sex = b.person((38, 58), 0.55)
        p = b.add(
            name=name,
            sex=sex,
            kind=PRACTITIONER,
            title=title,
            organisation=hospital,
            skills=("specialist", "doctor"),
            profile=(
                "basic.specialist_clinic",
                "basic.remote_consultation",
                "basic.two_way_referral",
                extra,
            ),
            radius="0.0",
            english=0.5,
        )
        start = time(8, 30) if span is AM else span[0]
        b.session(
            p,
            weekday,
            (start, span[1]),
            mode=CLINIC,
            minutes=20,
            site=centre.code,
            profile=("basic.specialist_clinic", extra),
            location=ROOMS["specialist"],
            specialty=(zh, en),
        )
        online_day = next(d for d in (4, 3, 2, 1, 0) if d != weekday)
        b.session(
            p,
            online_day,
            (time(14, 30), time(16, 30)),
            mode=ONLINE,
            minutes=30,
            profile=("basic.remote_consultation",),
        )


def _agency_staff(b: _Builder) -> None:
    rng = b.rng
    rehab, homecare = _org(REHAB), _org(HOMECARE)
    for k in range(3):
        name, sex = b.person((26, 48), 0.5)
        p = b.add(
            name=name,
            sex=sex,
            kind=PRACTITIONER,
            title=("主管康复治疗师", "康复治疗师", "康复治疗师")[k],
            organisation=rehab,
            skills=("rehab_therapist",),
            profile=(*REHAB_CLINIC, *REHAB_HOME, "maintenance.exercise_guidance"),
            radius="5.0",
            english=0.15,
            spread=0.01,
        )
        days = rng.sample(WEEKDAYS, 4)
        b.session(
            p,
            days[0],
            AM,
            mode=CLINIC,
            minutes=45,
            profile=REHAB_CLINIC,
            site=CENTRE,
            location=ROOMS["rehab"],
        )
        b.session(p, days[1], AM, mode=CLINIC, minutes=45, profile=REHAB_CLINIC)
        b.session(p, days[2], PM, mode=HOME, minutes=60, profile=REHAB_HOME)
        b.session(p, days[3], PM, mode=HOME, minutes=60, profile=REHAB_HOME)
        b.session(
            p,
            days[k % 2],
            (time(15, 0), time(16, 0)),
            mode=GROUP,
            minutes=60,
            capacity=20,
            profile=("maintenance.spine_rehab",),
            site=CENTRE,
            location=ROOMS["activity"],
        )
    name, sex = b.person((30, 50), 0.35)
    p = b.add(
        name=name,
        sex=sex,
        kind=PRACTITIONER,
        title="心理治疗师(中级)",
        organisation=rehab,
        skills=("psychologist",),
        profile=PSYCH,
        radius="5.0",
        english=0.6,
        spread=0.01,
    )
    b.session(
        p,
        0,
        (time(9, 0), time(11, 30)),
        mode=CLINIC,
        minutes=50,
        site=CENTRE,
        location=ROOMS["psych"],
        profile=PSYCH,
    )
    b.session(p, 2, (time(9, 0), time(11, 30)), mode=CLINIC, minutes=50, profile=PSYCH)
    b.session(p, 3, EVENING, mode=ONLINE, minutes=50, profile=PSYCH)
    b.session(
        p,
        4,
        (time(14, 30), time(16, 30)),
        mode=GROUP,
        minutes=120,
        capacity=20,
        site=CENTRE,
        location=ROOMS["lecture"],
        profile=("development.stress_workshop",),
    )
    b.session(
        p,
        5,
        (time(9, 30), time(11, 30)),
        mode=GROUP,
        minutes=120,
        capacity=20,
        site=CENTRE,
        location=ROOMS["activity"],
        profile=("development.parent_communication",),
    )
    for k in range(4):
        nurse = k < 3
        name, sex = b.person((28, 52), 0.1 if nurse else 0.3)
        p = b.add(
            name=name,
            sex=sex,
            kind=PRACTITIONER,
            title=("护师", "主管护师", "护师")[k] if nurse else "高级养老护理员",
            organisation=homecare,
            skills=("nurse",) if nurse else ("care_worker",),
            profile=HOMECARE_NURSE if nurse else CARE_WORKER,
            radius="5.0",
            spread=0.01,
        )
        days = sorted(rng.sample((0, 1, 2, 3, 4, 5), 4))
        for day in days:
            b.session(
                p,
                day,
                AM,
                mode=HOME,
                minutes=60 if nurse else 90,
                profile=HOMECARE_NURSE if nurse else CARE_WORKER,
            )
        for day in days[:2]:
            b.session(
                p,
                day,
                PM,
                mode=HOME,
                minutes=60 if nurse else 90,
                profile=HOMECARE_NURSE if nurse else CARE_WORKER,
            )


def _volunteers(b: _Builder, users: Sequence[UserSpec]) -> None:
    rng = b.rng
    team = _org(VOLUNTEERS)
    logins = [u for u in users if Role.VOLUNTEER.value in u.roles]
    for k in range(VOLUNTEER_COUNT):
        if k < len(logins):
            name, sex, username = logins[k].name, logins[k].sex or FEMALE, logins[k].username
        else:  # silver-age volunteers: mostly retired women in their sixties
            sex = MALE if rng.random() < 0.35 else FEMALE
            birth_year = 2026 - rng.randint(55, 74)
            name = _surname(rng) + _given_name(rng, birth_year, sex)
            while name in b.used:
                name = _surname(rng) + _given_name(rng, birth_year, sex)
            b.used.add(name)
            username = ""
        coach = k % 5 == 1  # one in five leads exercise classes (社会体育指导员)
        skills = ("volunteer", "exercise_coach") if coach else ("volunteer",)
        title = "社会体育指导员" if coach else ("志愿服务队队长" if k == 0 else "志愿者")
        p = _volunteer(b, name, sex, title, team, skills, coach, username)
        _volunteer_week(b, p, k, coach)


def _volunteer(
    b: _Builder,
    name: str,
    sex: str,
    title: str,
    team: OrganisationSpec,
    skills: tuple[str, ...],
    coach: bool,
    username: str,
) -> int:
    return b.add(
        name=name,
        sex=sex,
        kind=VOLUNTEER,
        title=title,
        organisation=team,
        skills=skills,
        profile=(*VOLUNTEER_HOME, *VOLUNTEER_GROUP, *(COACH_CLASSES if coach else ())),
        radius=b.rng.choice(("1.0", "1.5", "2.0")),
        english=0.03,
        spread=0.006,
        username=username,
    )


def _volunteer_week(b: _Builder, p: int, k: int, coach: bool) -> None:
    """A few half-days a week: home visits (one resident per hour), and for coaches the
    morning classes on the square; every fourth volunteer also helps at a group session."""
    rng = b.rng
    days = sorted(rng.sample((0, 1, 2, 3, 4, 5, 6), rng.choice((2, 2, 3))))
    for day in days:
        span = (time(9, 0), time(11, 0)) if rng.random() < 0.6 else (time(14, 30), time(16, 30))
        b.session(p, day, span, mode=HOME, minutes=60, profile=VOLUNTEER_HOME)
    if coach:
        klass = COACH_CLASSES[(k // 5) % len(COACH_CLASSES)]
        span = (
            (time(19, 0), time(20, 30))
            if klass == "development.square_dance"
            else (time(7, 0), time(8, 0))
        )
        for day in (1, 3, 5):
            b.session(
                p,
                day,
                span,
                mode=GROUP,
                minutes=int(_minutes(span)),
                capacity=30,
                profile=(klass,),
                location=ROOMS["square"],
                site=CENTRE,
                half="eve" if span[0].hour >= 18 else "dawn",
            )
    elif k % 4 == 0:
        free = b.free_halves(p, (0, 1, 2, 3, 4), "pm")
        if free:
            b.session(
                p,
                rng.choice(free),
                (time(14, 30), time(16, 0)),
                mode=GROUP,
                minutes=90,
                capacity=20,
                profile=VOLUNTEER_GROUP,
                site=CENTRE,
                location=ROOMS["activity"],
            )


def _minutes(span: tuple[time, time]) -> int:
    return (span[1].hour * 60 + span[1].minute) - (span[0].hour * 60 + span[0].minute)


# ---- package enrolment --------------------------------------------------------------------


def enrolment_plan(demo: DemoCommunity, seed: int) -> tuple[EnrolmentSpec, ...]:
    """Who is offered which life-cycle package: most elders (65+ nearly all who signed with a
    family doctor), young children, some school children and working adults, and residents
    with a disability in the safety-net package. Ages on ``REFERENCE_DATE``."""
    rng = random.Random(f"careloop-demo/{seed}/enrolments")
    plan: list[EnrolmentSpec] = []
    for i, r in enumerate(demo.residents):
        contracted = r.team is not None
        draw = rng.random()
        days_ago = rng.randint(7, 330)
        if r.age >= 65:
            share = 0.85 if contracted else 0.3
            if draw < share:
                plan.append(EnrolmentSpec(i, ELDERLY, days_ago))
        elif r.age >= 60:
            if draw < (0.4 if contracted else 0.1):
                plan.append(EnrolmentSpec(i, ELDERLY, days_ago))
        elif r.age <= 6:
            if draw < 0.8:
                plan.append(EnrolmentSpec(i, CHILD, days_ago))
        elif r.age < ADULT_AGE:
            if draw < 0.35:
                plan.append(EnrolmentSpec(i, CHILD, days_ago))
        elif draw < 0.15:
            plan.append(EnrolmentSpec(i, WORKING, days_ago))
        if r.disability and rng.random() < 0.6:
            plan.append(EnrolmentSpec(i, SPECIAL, rng.randint(7, 330)))
    return tuple(plan)
