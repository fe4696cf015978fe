"""A year of demand history for the demo community, so the director's dashboard shows figures
near the pilot's (DOMAIN.md KPIs; seed 002 §5.4, §6.2).

What ``write_demands`` adds, for the 52 weeks that end at the load's "now":

- **Volume**: ``DEMANDS_PER_12000`` demands a year for 12,000 residents (about 150 a week,
  proportionally fewer for a smaller community), growing over the year, lower in weeks with
  three or more days off, with a flu-vaccination peak in ISO weeks 40–46.
- **Who and what**: services follow the residents' profiles. Planted programmes give the
  associations the analytics should find: every diabetic has demands and ``FOOT_CARE_SHARE``
  of them a diabetic foot screening (diabetes → foot care, confidence 0.89);
  ``VISION_SHARE`` of 3–6-year-olds with a parent a vision screening; ``BP_SHARE`` of the
  hypertensive a BP follow-up; most of the 65+ their free check-up. The rest come from each
  resident's menu (chronic care, home care for elders, child health, screenings, classes).
- **Channels** by quota (``CHANNEL_SHARES``, the most constrained first: a package-due
  demand needs an enrolment in a package with the service, a home visit a service with a home
  mode, …). Device-alert demands are the ones the health loader's alerts already filed.
- **Tiers**: ``CRITICAL_SHARE`` critical (chest pain, stroke signs, glucose < 3.0, service
  left open, through the green channel), ``URGENT_SHARE`` urgent (high fever, acute pain,
  BP ≥ 180/110, glucose < 3.9), the rest routine. Tier, importance and quadrant come from
  ``classify.classify``; deadlines from ``classify.deadlines`` and the holiday table, on the
  local filing time, as ``file_demand`` computes them.
- **Lifecycle**: routine demands are accepted after a log-normal delay whose median falls over
  the year (``RESPONSE_MEDIAN_HOURS``; staff answer from 07:30, so the observed median goes
  from about 30 h to about 8 h, the pilot's 48 h → 8 h), urgent ones within about 10–40 min,
  critical ones within minutes (green channel: respond, 120 called, hand-over, close).
  About 95 % are scheduled within the match deadline; some are rejected once and taken on by
  a colleague, about 3 % withdrawn, some fail. Residents decline fewer package-due
  suggestions as the year goes on (``DECLINE_SHARE``; a decline withdraws the demand);
  needs-review demands are confirmed at once, as ``file_demands_from_answers`` does: about
  90 % of the suggestions answered are confirmed.
- **After the service**: a follow-up call for each completed demand (mostly done within its
  24 h), a rating for ``RATED_SHARE`` of them (about 92 % of 4 or 5 stars) — except home
  nursing, deliberately slow to answer in the last ``SLOW_DAYS`` days and rated poorly on
  response speed, so an improvement finding has something to find.

Why bulk and not the services: the lifecycle services take their times from the clock and
write an audit event each; replaying ~8,000 demands through them would take minutes and put
every step at "now". The rows are built here with the services' rules instead, and written
in bulk (``_insert``) inside the demo's one transaction; like the other demo loaders, no audit
event of its own (the demo's ``careloop.demo.loaded`` event covers the load). What the
services would have written is mirrored step by step: one ``DemandEvent`` per step with its
from- and to-status, legal per ``TRANSITIONS``; the deadline sweep's escalations (a waiting
demand is escalated the minute after its respond-by time, ``DeadlineBreach`` level 1, and
level 2 ``FOLLOW_UP`` later if still waiting; a match breach when the demand is unmatched at
its match-by time), the green channel's respond breach, the follow-up call due 24 h after
completion. A step that would fall after "now" has not happened yet: the demand stays open
where its history stops, so the last days hold live work. Past demands have no booking
(``scheduled_at`` is set; the slots of the past are not in the database).

Determinism: one ``random.Random`` seeded from the demo's seed; residents, services and
enrolments are read in a fixed order. Times are anchored on ``clock.now()``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from types import SimpleNamespace
from typing import Any

from django.db import connection, models
from django.utils import timezone

from careloop.catalogue.models import (
    Enrolment,
    EnrolmentStatus,
    Organisation,
    OrganisationKind,
    PackageItem,
    PublicHoliday,
    Service,
    ServiceMode,
)
from careloop.catalogue.workdays import HOLIDAY
from careloop.core import clock
from careloop.core.models import Community, User
from careloop.core.roles import Role
from careloop.demands import classify
from careloop.demands.models import (
    BreachKind,
    Channel,
    DeadlineBreach,
    Demand,
    DemandEvent,
    DemandStatus,
    EscalationLevel,
    FollowUpCall,
    FollowUpStatus,
    GreenChannelCase,
    Rating,
    RatingSource,
)
from careloop.demands.services.deadlines import FOLLOW_UP, UNMATCHED, WAITING
from careloop.demands.services.green import HANDOVER
from careloop.demands.services.green import RESPOND as GREEN_RESPOND
from careloop.demands.services.transitions import FOLLOW_UP_AFTER, TRANSITIONS
from careloop.demo.bulk import BATCH_SIZE, chunks
from careloop.demo.generator import ADULT_AGE, PARENT, DemoCommunity
from careloop.residents.models import Resident, ResidentCondition

S = DemandStatus
HISTORY_WEEKS = 52
DEMANDS_PER_12000 = 7_800
GROWTH = 0.35  # the last week's volume is 1 + GROWTH times the first's (adoption)
HOLIDAY_WEEK_FACTOR = 0.6
# Filled in this order (the most constrained first); the web takes what is left.
CHANNEL_SHARES = (
    (Channel.PACKAGE_DUE, 0.10), (Channel.LIFE_EVENT, 0.035), (Channel.PERIODIC_REVIEW, 0.035),
    (Channel.CLINICIAN_PUSH, 0.08), (Channel.HOME_VISIT, 0.05), (Channel.WALK_IN, 0.05),
    (Channel.STAFF_PHONE, 0.20),
)  # fmt: skip
STAFF_FILED = (Channel.STAFF_PHONE, Channel.HOME_VISIT, Channel.WALK_IN, Channel.CLINICIAN_PUSH)
SUGGESTED = (Channel.PACKAGE_DUE, Channel.LIFE_EVENT, Channel.PERIODIC_REVIEW)
CRITICAL_SHARE, URGENT_SHARE = 0.01, 0.14
FOOT_CARE_SHARE, VISION_SHARE, BP_SHARE, CHECKUP_SHARE = 0.89, 0.72, 0.45, 0.6
FLU_WEEKS = range(40, 47)
FLU_ELDERS, FLU_CHILDREN = 0.07, 0.04
SLOW_NURSING_PER_12000, SLOW_DAYS = 24, 30
RESPONSE_MEDIAN_HOURS = (34.0, 5.5)  # routine, first week → last week
RESPONSE_SIGMA = 0.7
SLOW_NURSING_MEDIAN_HOURS = 40.0
DECLINE_SHARE = (0.45, 0.06)  # package-due suggestions the resident declines, first → last
LATE_MATCH_SHARE = (0.05, 0.01)
REJECT_SHARE, WITHDRAW_SHARE, FAIL_SHARE = 0.03, 0.015, 0.015
RATED_SHARE = 0.78
FOLLOW_UP_UNREACHABLE, FOLLOW_UP_MISSED = 0.06, 0.03
STARS = ((5, 62), (4, 30), (3, 5), (2, 2), (1, 1))
SLOW_SPEED = ((1, 40), (2, 45), (3, 15))

HTN, DM = "I10", "E11"
FOOT_CARE, VISION = "maintenance.diabetic_foot_screening", "maintenance.child_vision_screening"
CHRONIC = frozenset({"I10", "E11", "E78", "I25", "I69", "J44", "N18", "F03", "G30", "M81"})
URGENT_CASES = (
    ("basic.common_illness", "发热39.6℃，高烧不退", ""),
    ("basic.common_illness", "腰背部剧烈疼痛，无法起身", "adult"),
    ("basic.common_illness", "腹部剧痛伴呕吐", ""),
    ("maintenance.hypertension_management", "家测血压186/112 mmHg，头痛头晕", HTN),
    ("maintenance.glucose_monitoring", "空腹血糖3.5 mmol/L，心慌出汗", DM),
    ("maintenance.home_nursing", "伤口渗血不止，需要上门处理", "elder"),
)
CRITICAL_CASES = (
    ("胸痛胸闷30分钟，大汗淋漓", ""),
    ("口角歪斜，言语不清，右侧肢体无力", ""),
    ("突发意识丧失，呼之不应", ""),
    ("血糖2.6 mmol/L，意识模糊", DM),
)
REJECT_REASONS = (
    "本人本周排班已满，转其他医生",
    "需专科处理，转交团队其他成员",
    "服务地址超出本人上门范围",
)
WITHDRAW_REASONS = ("已在医院就诊", "时间不方便，暂不需要", "家属已陪同处理", "")
FAIL_REASONS = ("居民未按约到诊", "上门时家中无人", "居民临时住院，未能服务")
GOOD_COMMENTS = ("医生很耐心，讲解清楚", "服务及时，态度好", "护士手法专业", "预约方便，不用排队")
POOR_COMMENTS = ("等待时间太长", "没有解决问题", "沟通不够清楚")
SLOW_COMMENTS = ("上门护士来得太慢，等了两天", "换药预约等了很久才有人接单", "响应太慢")
NEW_NEEDS = ("希望继续上门换药", "想了解饮食调理", "家属询问康复训练")


@dataclass(frozen=True)
class _Service:
    pk: int
    code: str
    tier: str
    minutes: int
    min_age: int | None
    max_age: int | None
    sex: str
    modes: tuple[str, ...]
    skills: frozenset[str]


@dataclass
class _Person:
    idx: int
    pk: int
    age: int
    birth_date: date
    sex: str
    conditions: frozenset[str]
    alone: bool
    disability: str
    team: int
    doctor: int | None  # the contracted family doctor's user id
    login: int | None  # the resident's own login, else a guardian's
    packages: dict[str, date] = field(default_factory=dict)  # package code → enrolled on
    home: tuple[float, float] | None = None  # the household's coordinates


@dataclass
class _Plan:
    person: _Person
    service: _Service | None
    week: int
    tier_hint: str | None = None
    description: str = ""
    slow: bool = False  # a home-nursing visit of the slow last month
    channel: str = ""


# A row to insert, by attribute name (``_insert`` fills in the model's defaults).
_Rec = SimpleNamespace


@dataclass
class _Row:
    """One demand being built: the demand, its events and what hangs off it."""

    demand: _Rec
    events: list[_Rec]
    breaches: list[_Rec] = field(default_factory=list)
    green: _Rec | None = None
    follow_up: _Rec | None = None
    rating: _Rec | None = None


def _child(p: _Person) -> bool:
    return p.age < ADULT_AGE


def _adult(p: _Person) -> bool:
    return p.age >= ADULT_AGE


def _elder(p: _Person) -> bool:
    return p.age >= 60


# The background menu: (service, weight, who asks for it). Age and sex rules of the service
# are checked as well (``_fits``); planted services are not on it.
MENU: tuple[tuple[str, float, Callable[[_Person], bool]], ...] = (
    ("basic.common_illness", 3.0, lambda p: True),
    ("basic.child_checkup", 1.5, _child),
    ("maintenance.child_growth_monitoring", 1.0, _child),
    ("maintenance.child_dental_caries", 0.8, _child),
    ("maintenance.child_vision_screening", 0.5, lambda p: 7 <= p.age < ADULT_AGE),
    ("development.child_psych_counselling", 0.1, _child),
    ("development.after_school_health_class", 0.2, _child),
    ("basic.online_consultation", 1.5, _adult),
    ("basic.health_record", 0.2, _adult),
    ("maintenance.cardiovascular_risk", 0.4, _adult),
    ("maintenance.diet_guidance", 0.4, _adult),
    ("maintenance.exercise_guidance", 0.3, _adult),
    ("maintenance.spine_rehab", 0.3, _adult),
    ("maintenance.breast_cancer_screening", 0.3, _adult),
    ("maintenance.lung_cancer_screening", 0.2, _adult),
    ("maintenance.bone_density", 0.2, _adult),
    ("development.health_lecture", 0.3, _adult),
    ("development.walking_group", 0.2, _adult),
    ("development.yoga_class", 0.2, lambda p: ADULT_AGE <= p.age < 50),
    ("development.taichi_class", 0.2, lambda p: p.age >= 50),
    ("development.psych_counselling", 0.2, _adult),
    ("development.stress_workshop", 0.1, _adult),
    ("development.eap_counselling", 0.1, _adult),
    ("development.custom_checkup", 0.15, _adult),
    ("basic.chronic_refill", 3.0, lambda p: bool(p.conditions & CHRONIC)),
    ("maintenance.medication_guidance", 1.0, lambda p: bool(p.conditions & CHRONIC)),
    ("maintenance.hypertension_management", 3.0, lambda p: HTN in p.conditions),
    ("maintenance.glucose_monitoring", 2.5, lambda p: DM in p.conditions),
    ("maintenance.diabetes_management", 2.0, lambda p: DM in p.conditions),
    ("maintenance.home_nursing", 0.8, _elder),
    ("maintenance.medicine_delivery", 0.6, _elder),
    ("maintenance.cognitive_screening", 0.4, _elder),
    ("basic.one_key_call", 0.3, _elder),
    ("development.elder_comfort", 0.2, _elder),
    ("development.smart_device_teaching", 0.2, _elder),
    ("maintenance.low_salt_meals", 0.2, _elder),
    ("maintenance.home_bathing", 0.4, lambda p: p.age >= 75),
    ("maintenance.home_hospital_bed", 0.2, lambda p: p.age >= 80),
    ("maintenance.living_alone_visit", 2.0, lambda p: p.age >= 60 and p.alone),
    ("maintenance.disability_rehab", 1.0, lambda p: bool(p.disability)),
    ("maintenance.assistive_device_fitting", 0.5, lambda p: bool(p.disability)),
)


# ---- reading the community ------------------------------------------------------------------


def _services() -> dict[str, _Service]:
    modes: dict[int, list[str]] = {}
    for service_id, mode in ServiceMode.objects.order_by("service_id", "mode").values_list(
        "service_id", "mode"
    ):
        modes.setdefault(service_id, []).append(mode)
    skills: dict[int, set[str]] = {}
    for service_id, code in Service.required_skills.through.objects.values_list(
        "service_id", "skill__code"
    ):
        skills.setdefault(service_id, set()).add(code)
    rows = Service.objects.filter(active=True).order_by("code")
    return {
        s.code: _Service(
            s.pk,
            s.code,
            s.tier,
            s.duration_minutes,
            s.min_age,
            s.max_age,
            s.sex,
            tuple(modes.get(s.pk, ())),
            frozenset(skills.get(s.pk, ())),
        )
        for s in rows
    }


def _people(
    demo: DemoCommunity,
    community: Community,
    users: Sequence[User],
    residents: Sequence[Resident],
    today: date,
) -> list[_Person]:
    index = {resident.pk: i for i, resident in enumerate(residents)}
    conditions: dict[int, set[str]] = {}
    for resident_id, code in ResidentCondition.objects.filter(
        resident__community_id=community.pk
    ).values_list("resident_id", "condition__code"):
        conditions.setdefault(index[resident_id], set()).add(code)
    user_pk = {user.username: user.pk for user in users}
    login = {
        spec.resident: user_pk[spec.username] for spec in demo.users if spec.resident is not None
    }
    for link in demo.guardians:  # a guardian with a login files for the dependant
        if link.guardian in login and link.dependant not in login:
            login[link.dependant] = login[link.guardian]
    people = [
        _Person(
            idx=i,
            pk=residents[i].pk,
            age=clock.age_on(spec.birth_date, today),
            birth_date=spec.birth_date,
            sex=spec.sex,
            conditions=frozenset(conditions.get(i, ())),
            alone=spec.living_alone,
            disability=spec.disability,
            team=demo.households[spec.household].team,
            doctor=user_pk.get(spec.doctor) if spec.team is not None else None,
            login=login.get(i),
            home=(
                demo.households[spec.household].latitude,
                demo.households[spec.household].longitude,
            ),
        )
        for i, spec in enumerate(demo.residents)
    ]
    for resident_id, package, enrolled_on in (
        Enrolment.objects.filter(resident__community_id=community.pk, status=EnrolmentStatus.ACTIVE)
        .order_by("resident_id", "package__code")
        .values_list("resident_id", "package__code", "enrolled_on")
    ):
        people[index[resident_id]].packages[package] = enrolled_on
    return people


def _staff(demo: DemoCommunity, users: Sequence[User]) -> dict[tuple[int, str], list[int]]:
    """(team, role) → user ids of the team's doctors, nurses and health managers."""
    staff: dict[tuple[int, str], list[int]] = {}
    for user, spec in zip(users, demo.users, strict=True):
        if spec.team is not None:
            for role in spec.roles:
                staff.setdefault((spec.team, role), []).append(user.pk)
    return staff


# ---- what is asked for ----------------------------------------------------------------------


def _fits(service: _Service, person: _Person, *, whole_year: bool = True) -> bool:
    """Age and sex rules over the whole year (the age a year ago and today), or today only
    (for a demand placed after the birthday that makes the resident old enough)."""
    if service.sex and service.sex != person.sex:
        return False
    low, high = person.age - (1 if whole_year else 0), person.age
    if service.min_age is not None and low < service.min_age:
        return False
    return service.max_age is None or high <= service.max_age


def _menu(p: _Person) -> list[tuple[str, float]]:
    """Background services of ``p`` and their weights (the planted ones are left out)."""
    return [(code, weight) for code, weight, who in MENU if who(p)]


class _Weeks:
    """Week weights: growth over the year, fewer demands in holiday weeks, flu weeks."""

    def __init__(self, first_day: date, holidays: dict[date, str]) -> None:
        self.first_day = first_day
        self.weights = []
        self.flu = []
        for w in range(HISTORY_WEEKS):
            days = [first_day + timedelta(days=7 * w + k) for k in range(7)]
            off = sum(holidays.get(day) == HOLIDAY for day in days)
            growth = 1 + GROWTH * w / (HISTORY_WEEKS - 1)
            self.weights.append(growth * (HOLIDAY_WEEK_FACTOR if off >= 3 else 1))
            if days[3].isocalendar().week in FLU_WEEKS:
                self.flu.append(w)

    def draw(self, rng: random.Random, after: date | None = None) -> int:
        first = 0 if after is None else max(0, (after - self.first_day).days // 7 + 1)
        first = min(first, HISTORY_WEEKS - 1)
        return rng.choices(range(first, HISTORY_WEEKS), weights=self.weights[first:])[0]


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return date(born.year + years, 3, 1)


def _plans(
    people: list[_Person],
    services: dict[str, _Service],
    guardians: dict[int, list[int]],
    weeks: _Weeks,
    rng: random.Random,
    n: int,
) -> list[_Plan]:
    plans: list[_Plan] = []

    def add(p: _Person, code: str, week: int | None = None, **extra: Any) -> None:
        service = services.get(code)
        if service is not None and _fits(service, p, whole_year=code != VISION):
            plans.append(_Plan(p, service, weeks.draw(rng) if week is None else week, **extra))

    def share_of(group: list[_Person], share: float) -> set[int]:
        """Exactly ``share`` of ``group`` (rounded): the planted confidence holds at any size."""
        return {p.idx for p in rng.sample(group, round(share * len(group)))}

    foot = share_of([p for p in people if DM in p.conditions], FOOT_CARE_SHARE)
    bp = share_of([p for p in people if HTN in p.conditions], BP_SHARE)
    small = [p for p in people if 3 <= p.age <= 6 and p.idx in guardians]
    vision = share_of(small, VISION_SHARE)
    for p in people:  # the planted programmes
        if DM in p.conditions:  # every diabetic has a demand
            add(p, FOOT_CARE if p.idx in foot else "maintenance.diabetes_management")
        if p.idx in bp:
            add(p, "maintenance.bp_monitoring")
        if p.age >= 66 and rng.random() < CHECKUP_SHARE:
            add(p, "basic.elder_checkup")
        if p.idx in vision:
            third = _birthday(p.birth_date, 3)  # filed in a week after the third birthday
            if third < weeks.first_day + timedelta(weeks=HISTORY_WEEKS - 1):
                add(p, VISION, weeks.draw(rng, after=third))
        flu = FLU_ELDERS if p.age >= 60 else FLU_CHILDREN if p.age < 14 else 0
        if weeks.flu and rng.random() < flu:
            add(p, "basic.vaccination", rng.choice(weeks.flu))
    elders = [p for p in people if p.age >= 60]
    for _ in range(max(5, round(SLOW_NURSING_PER_12000 * n / 12_000)) if elders else 0):
        add(rng.choice(elders), "maintenance.home_nursing", HISTORY_WEEKS - 1, slow=True)

    total = max(round(DEMANDS_PER_12000 * n / 12_000), len(plans) + 3)
    background = total - len(plans)
    critical = max(1, round(CRITICAL_SHARE * total))
    urgent = max(1, round(URGENT_SHARE * total))
    cache: dict[tuple[Any, ...], list[tuple[str, float]]] = {}
    menus = []
    for p in people:  # residents alike in what the menu asks share one menu
        key = (p.age, p.sex, p.conditions & CHRONIC, p.alone, bool(p.disability))
        if key not in cache:
            cache[key] = [(code, w) for code, w in _menu(p)
                          if w and code in services and _fits(services[code], p)]  # fmt: skip
        menus.append(cache[key])
    cum: list[float] = []
    acc = 0.0
    for menu in menus:
        acc += sum(w for _, w in menu)
        cum.append(acc)
    adults = [p for p in people if p.age >= ADULT_AGE] or people
    for k in range(background):
        if k < critical:
            p = rng.choice([q for q in adults if q.age >= 50] or adults)
            cases = [c for c in CRITICAL_CASES if not c[1] or c[1] in p.conditions]
            text, _need = rng.choice(cases)
            plans.append(_Plan(p, None, weeks.draw(rng), classify.CRITICAL, text))
            continue
        p = rng.choices(people, cum_weights=cum)[0]
        if k < critical + urgent:
            urgent_cases = [
                c for c in URGENT_CASES
                if c[0] in services and _fits(services[c[0]], p) and (
                    not c[2] or c[2] in p.conditions or (c[2] == "adult" and p.age >= ADULT_AGE)
                    or (c[2] == "elder" and p.age >= 60)
                )
            ]  # fmt: skip
            code, text, _need = rng.choice(urgent_cases)
            plans.append(_Plan(p, services[code], weeks.draw(rng), classify.URGENT, text))
            continue
        codes, weights = zip(*menus[p.idx], strict=True)
        plans.append(_Plan(p, services[rng.choices(codes, weights=weights)[0]], weeks.draw(rng)))
    return plans


def _channels(
    plans: list[_Plan], package_items: dict[str, set[str]], weeks: _Weeks, rng: random.Random
) -> None:
    """Assign channels by quota, the most constrained channel first."""

    def eligible(plan: _Plan, channel: str) -> bool:
        s, routine = plan.service, plan.tier_hint is None
        if plan.slow:
            return channel in (Channel.STAFF_PHONE, Channel.RESIDENT_WEB)
        if channel == Channel.PACKAGE_DUE:
            week_start = weeks.first_day + timedelta(days=7 * plan.week)
            return (
                routine
                and s is not None
                and any(
                    s.code in package_items.get(code, ()) and enrolled <= week_start
                    for code, enrolled in plan.person.packages.items()
                )
            )
        if channel in (Channel.LIFE_EVENT, Channel.PERIODIC_REVIEW):
            return routine and s is not None
        if channel == Channel.CLINICIAN_PUSH:
            return plan.tier_hint != classify.CRITICAL and s is not None and s.tier == "maintenance"
        if channel == Channel.HOME_VISIT:
            return plan.tier_hint != classify.CRITICAL and s is not None and "home" in s.modes
        if channel == Channel.WALK_IN:
            return s is None or "clinic" in s.modes
        return True

    order = list(range(len(plans)))
    rng.shuffle(order)
    for channel, share in CHANNEL_SHARES:
        quota = round(share * len(plans))
        for i in order:
            if quota <= 0:
                break
            if not plans[i].channel and eligible(plans[i], channel):
                plans[i].channel = channel
                quota -= 1
    for plan in plans:
        plan.channel = plan.channel or Channel.RESIDENT_WEB


# ---- when -----------------------------------------------------------------------------------


class _Clock:
    def __init__(self, now: datetime, holidays: dict[date, str], tz: tzinfo) -> None:
        self.now = now.replace(microsecond=0)
        self.tz = tz
        self.holidays = holidays
        self.today = timezone.localtime(now, tz).date()
        self.first_day = self.today - timedelta(days=7 * HISTORY_WEEKS - 1)
        self.start = self.at(self.first_day, 0)
        self.span = (self.now - self.start).total_seconds()

    def at(self, day: date, minute: float) -> datetime:
        base = timezone.make_aware(datetime.combine(day, time()), self.tz)
        return base + timedelta(seconds=round(minute * 60))

    def working(self, day: date) -> bool:
        return classify.is_working_day(day, self.holidays)

    def progress(self, at: datetime) -> float:
        """0 at the start of the history, 1 at now."""
        return min(1.0, max(0.0, (at - self.start).total_seconds() / self.span))

    def filed(self, plan: _Plan, rng: random.Random) -> datetime:
        staff = plan.channel in STAFF_FILED and plan.tier_hint is None
        for attempt in range(8):
            days = [self.first_day + timedelta(days=7 * plan.week + k) for k in range(7)]
            days = [d for d in days if d <= self.today]
            if plan.slow:
                days = [self.today - timedelta(days=k) for k in range(12, SLOW_DAYS)]
            weights = [1.0 if not staff or self.working(d) else 0.15 for d in days]
            day = rng.choices(days, weights=weights)[0]
            if plan.channel == Channel.PACKAGE_DUE:
                minute = 6 * 60 + 20 + rng.random()  # the morning intake job
            elif staff:
                minute = rng.uniform(8 * 60, 17 * 60 + 30)
            elif plan.tier_hint is not None:
                minute = rng.uniform(0, 24 * 60)
            else:  # residents: mornings and evenings
                hour = rng.choices(range(24), weights=_WEB_HOURS)[0]
                minute = hour * 60 + rng.uniform(0, 60)
            at = self.at(day, minute)
            if at < self.now - timedelta(minutes=10):
                return at
            if attempt >= 2:  # the rest of the last week is still to come: the week before
                plan.week = max(0, plan.week - 1)
        return self.now - timedelta(hours=1)

    def daytime(self, at: datetime, rng: random.Random) -> datetime:
        """Staff answer from 07:30: a step due at night moves to the next morning."""
        local = timezone.localtime(at, self.tz)
        if 7 <= local.hour < 22:
            return at
        day = local.date() + timedelta(days=1 if local.hour >= 22 else 0)
        return self.at(day, 7 * 60 + 30 + rng.uniform(0, 90))

    def appointment(self, after: datetime, days: int, rng: random.Random) -> datetime:
        """A working-day slot time ``days`` or more days after ``after``."""
        day = timezone.localtime(after, self.tz).date() + timedelta(days=days)
        while True:
            while not self.working(day):
                day += timedelta(days=1)
            at = self.at(day, 8 * 60 + 30 + 10 * rng.randrange(0, 48))
            if at >= after + timedelta(minutes=30):
                return at
            day += timedelta(days=1)


_WEB_HOURS = (1, 0.5, 0.3, 0.3, 0.3, 0.5, 2, 4, 7, 8, 7, 5, 4, 4, 5, 5, 4, 4, 5, 7, 8, 7, 4, 2)


def _lognormal_hours(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(hours=median * math.exp(rng.gauss(0, sigma)))


def _mix(pair: tuple[float, float], progress: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * progress


def _stars(rng: random.Random, table: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([s for s, _ in table], weights=[w for _, w in table])[0]


# ---- what happened --------------------------------------------------------------------------

_Step = tuple[datetime, str, int | None, dict[str, Any]]


class _Builder:
    def __init__(
        self,
        clock_: _Clock,
        staff: dict[tuple[int, str], list[int]],
        rng: random.Random,
        *,
        centre: tuple[float | None, float | None],
        hospital: Organisation | None,
        volunteers: int,
        public_ids: dict[int, str],
    ) -> None:
        self.c = clock_
        self.staff = staff
        self.rng = rng
        self.centre = centre
        self.hospital = hospital
        self.volunteers = volunteers
        self.public_ids = public_ids

    # -- people
    def _team(self, p: _Person, role: str) -> list[int]:
        return self.staff.get((p.team, role)) or self.staff.get((p.team, Role.FAMILY_DOCTOR), [])

    def _clinician(self, plan: _Plan, other_than: int | None = None) -> int | None:
        skills = plan.service.skills if plan.service else frozenset({"doctor"})
        role = (
            Role.FAMILY_DOCTOR if "doctor" in skills else Role.NURSE if "nurse" in skills
            else Role.HEALTH_MANAGER if "health_manager" in skills else Role.FAMILY_DOCTOR
        )  # fmt: skip
        pool = self._team(plan.person, role)
        others = [pk for pk in pool if pk != other_than] or pool
        return self.rng.choice(others) if others else None

    def _answerer(self, p: _Person) -> int | None:
        """Who answers a suggestion: the resident in the portal, else staff on the phone."""
        if p.login is not None:
            return p.login
        managers = self._team(p, Role.HEALTH_MANAGER)
        return managers[0] if managers else None

    # -- one demand
    def build(self, plan: _Plan, filed: datetime) -> _Row:
        rng, c, s = self.rng, self.c, plan.service
        result = classify.classify(
            description=plan.description, tier_hint=plan.tier_hint,
            service_tier=s.tier if s else None,
        )  # fmt: skip
        local = timezone.localtime(filed, c.tz)
        due_respond, due_match = classify.deadlines(result.tier, local, c.holidays)
        filer = None  # the system files on its own channels
        if plan.channel == Channel.RESIDENT_WEB:
            filer = plan.person.login  # residents without a demo login: not recorded
        elif plan.channel in STAFF_FILED:
            filer = self._clinician(plan)
        home = plan.person.home or self.centre  # as ``home_location`` finds it
        mode = ""
        if plan.channel == Channel.HOME_VISIT:
            mode = "home"
        elif s is not None and s.modes:
            mode = rng.choice(s.modes)
        source_ref = ""
        if plan.channel == Channel.PACKAGE_DUE and s is not None:
            source_ref = f"due:{s.code}:{(local.date() + timedelta(days=rng.randint(0, 7)))}"
        elif plan.channel in (Channel.LIFE_EVENT, Channel.PERIODIC_REVIEW):
            source_ref = "review:demo"
        demand = _Rec(
            resident_id=plan.person.pk, service_id=s.pk if s else None,
            description=plan.description, channel=plan.channel, filed_by_id=filer,
            source_ref=source_ref, system_suggested=plan.channel in SUGGESTED,
            urgent=result.urgent, important=result.important,
            quadrant=classify.quadrant(urgent=result.urgent, important=result.important),
            tier=result.tier, modes=[mode] if mode else [], due_respond_at=due_respond,
            due_match_at=due_match, latitude=home[0], longitude=home[1],
            created_at=filed, status=S.SUBMITTED, accepted_at=None, accepted_by_id=None,
            completed_at=None, reject_reason="", resident_confirmed=None,
        )  # fmt: skip
        file_event = _Rec(
            at=filed, actor_id=filer, from_status="", to_status=S.SUBMITTED, action="file",
            detail={"reasons": list(result.reasons)},
        )  # fmt: skip
        row = _Row(demand, [file_event])
        if result.tier == classify.CRITICAL:
            steps = self._green(plan, row, filed)
        else:
            steps = self._steps(plan, demand, filed)
        self._settle(row, steps)
        if demand.status == S.COMPLETED:
            self._after(plan, row)
        return row

    def _green(self, plan: _Plan, row: _Row, filed: datetime) -> list[_Step]:
        rng = self.rng
        on_duty = plan.person.doctor or self._clinician(plan)
        responded = filed + timedelta(seconds=rng.randint(60, 540))
        ambulance = filed + timedelta(seconds=rng.randint(120, 600))
        handed_over = filed + timedelta(minutes=rng.uniform(15, 55))
        closed = handed_over + timedelta(minutes=rng.uniform(40, 180))
        now = self.c.now
        row.green = _Rec(
            opened_at=filed, on_duty_id=on_duty,
            transfer_to_id=self.hospital.pk if self.hospital else None,
            volunteers_alerted=self.volunteers, due_respond_at=filed + GREEN_RESPOND,
            due_handover_at=filed + HANDOVER,
            responded_at=responded if responded <= now else None,
            ambulance_called_at=ambulance if ambulance <= now else None,
            handed_over_at=handed_over if handed_over <= now else None,
            closed_at=closed if closed <= now else None,
        )  # fmt: skip
        detail = {
            "on_duty": self.public_ids.get(on_duty, "") if on_duty else "",
            "transfer_to": self.hospital.code if self.hospital else "",
            "volunteers": self.volunteers, "notified": 0,
        }  # fmt: skip
        return [
            (filed + timedelta(seconds=1), "green_channel", None, detail),
            (responded, "accept", on_duty, {}),
            (handed_over, "start", on_duty, {}),
            (
                closed,
                "complete",
                on_duty,
                {"follow_up_due": (closed + FOLLOW_UP_AFTER).isoformat()},
            ),
        ]

    def _steps(self, plan: _Plan, d: _Rec, filed: datetime) -> list[_Step]:
        """The planned steps of a routine or urgent demand, some of them after now."""
        rng, c = self.rng, self.c
        progress = c.progress(filed)
        urgent = d.tier == classify.URGENT
        steps: list[_Step] = []
        ready = filed
        if plan.channel in (Channel.LIFE_EVENT, Channel.PERIODIC_REVIEW):
            ready = filed + timedelta(seconds=1)
            steps.append((ready, "confirm", self._answerer(plan.person), {"confirmed": True}))
        elif plan.channel == Channel.PACKAGE_DUE:
            ready = c.daytime(filed + _lognormal_hours(rng, 5, 0.8), rng)
            declined = rng.random() < _mix(DECLINE_SHARE, progress)
            action = "decline" if declined else "confirm"
            steps.append((ready, action, self._answerer(plan.person), {"confirmed": not declined}))
            if declined:
                return steps
        if urgent:
            accepted = filed + timedelta(minutes=rng.triangular(8, 42, 22))
        else:
            low, high = RESPONSE_MEDIAN_HOURS
            median = SLOW_NURSING_MEDIAN_HOURS if plan.slow else low * (high / low) ** progress
            accepted = c.daytime(filed + _lognormal_hours(rng, median, RESPONSE_SIGMA), rng)
        accepted = max(accepted, ready + timedelta(minutes=rng.uniform(2, 30)))
        clinician = self._clinician(plan)
        if not urgent and rng.random() < REJECT_SHARE:
            rejected = accepted + timedelta(hours=rng.uniform(0.5, 6))
            steps.append((accepted, "accept", clinician, {}))
            reason = rng.choice(REJECT_REASONS)
            steps.append((rejected, "reject", clinician, {"reason": reason}))
            clinician = self._clinician(plan, other_than=clinician)
            accepted = c.daytime(rejected + _lognormal_hours(rng, 3, 0.6), rng)
        steps.append((accepted, "accept", clinician, {}))
        if urgent:
            scheduled = accepted + timedelta(minutes=rng.uniform(3, 20))
            started = scheduled + timedelta(minutes=rng.uniform(10, 40))
        else:
            scheduled = c.daytime(accepted + _lognormal_hours(rng, 1.5, 0.8), rng)
            late = rng.random() < _mix(LATE_MATCH_SHARE, progress)
            due = d.due_match_at
            if late and accepted < due:
                scheduled = c.daytime(due + timedelta(hours=rng.uniform(1, 30)), rng)
            elif scheduled >= due and accepted < due - timedelta(minutes=2):
                scheduled = accepted + (due - accepted) * rng.uniform(0.1, 0.9)
            days = rng.choices(range(11), weights=(3, 8, 8, 7, 6, 5, 4, 3, 2, 2, 2))[0]
            if plan.slow or (plan.service and plan.service.code == "basic.vaccination"):
                days = rng.randint(0, 3)
            started = c.appointment(scheduled, days, rng)
        minutes = plan.service.minutes if plan.service else 30
        completed = started + timedelta(minutes=minutes * rng.uniform(0.8, 1.6))
        steps.append((scheduled, "schedule", clinician, {}))
        if rng.random() < WITHDRAW_SHARE and not plan.slow:
            at = filed + (started - filed) * rng.uniform(0.05, 0.95)
            steps = [step for step in steps if step[0] < at]
            reason = rng.choice(WITHDRAW_REASONS)
            who = plan.person.login if rng.random() < 0.5 else clinician
            steps.append((at, "withdraw", who, {"reason": reason} if reason else {}))
            return steps
        if rng.random() < FAIL_SHARE and not plan.slow:
            steps.append((started, "fail", clinician, {"reason": rng.choice(FAIL_REASONS)}))
            return steps
        due = completed + FOLLOW_UP_AFTER
        steps.append((started, "start", clinician, {}))
        steps.append((completed, "complete", clinician, {"follow_up_due": due.isoformat()}))
        return steps

    def _settle(self, row: _Row, steps: list[_Step]) -> None:
        """Apply the steps up to now, with the deadline sweep's escalations and breaches."""
        d, now, rng = row.demand, self.c.now, self.rng
        critical = d.tier == classify.CRITICAL
        status: str = S.SUBMITTED
        since = d.created_at
        lag = timedelta(seconds=rng.randint(1, 59))  # the sweep runs every minute

        def escalate_before(limit: datetime) -> None:
            nonlocal status
            if critical or status != S.SUBMITTED:
                return
            at = max(d.due_respond_at, since) + lag
            if at >= limit or at > now:
                return
            detail = {"breach": BreachKind.RESPOND.value, "due": d.due_respond_at.isoformat(),
                      "tier": d.tier}  # fmt: skip
            row.events.append(
                _Rec(
                    at=at,
                    from_status=S.SUBMITTED,
                    to_status=S.ESCALATED,
                    action="escalate",
                    detail=detail,
                )
            )
            status, d.escalated_at = S.ESCALATED, at
            if not row.breaches:
                row.breaches.append(self._breach(BreachKind.RESPOND, 1, d.due_respond_at, at))

        for at, action, actor, detail in sorted(steps, key=lambda step: step[0]):
            if at > now:
                break
            escalate_before(at)
            if action in TRANSITIONS:
                transition = TRANSITIONS[action]
                assert status in transition.sources, (action, status)
                target: str = transition.target
            elif action == "decline":
                target = S.WITHDRAWN
            else:  # confirm, green_channel: no change of status
                target = status
            row.events.append(
                _Rec(
                    at=at,
                    actor_id=actor,
                    from_status=status,
                    to_status=target,
                    action=action,
                    detail=detail,
                )
            )
            if action == "accept":
                d.accepted_at, d.accepted_by_id = at, actor
            elif action == "reject":
                d.accepted_at, d.accepted_by_id = None, None
                d.reject_reason = detail["reason"]
            elif action == "schedule":
                d.scheduled_at = at
            elif action == "start":
                d.started_at = at
            elif action == "complete":
                d.completed_at = at
            elif action in ("confirm", "decline"):
                d.resident_confirmed = detail["confirmed"]
            status, since = target, at
        escalate_before(now + timedelta(seconds=1))
        d.status = status
        self._breaches(row, lag)

    def _breach(self, kind: str, level: int, due: datetime, at: datetime) -> _Rec:
        return _Rec(kind=kind, level=level, due_at=due, detected_at=at)

    def _breaches(self, row: _Row, lag: timedelta) -> None:
        d, now, events = row.demand, self.c.now, row.events

        def first_in(statuses: tuple[str, ...], after: datetime) -> datetime | None:
            """The first sweep at or after ``after`` that finds the demand in ``statuses``."""
            current = [e for e in events if e.at <= after]
            if current and current[-1].to_status in statuses:
                return after
            later = (e.at + lag for e in events if e.at > after and e.to_status in statuses)
            found = next(later, None)
            return found if found is not None and found <= now else None

        if d.tier == classify.CRITICAL:
            green = row.green
            assert green is not None
            due = green.due_respond_at
            if due + lag <= now and (green.responded_at is None or green.responded_at > due + lag):
                row.breaches.append(
                    self._breach(BreachKind.RESPOND, EscalationLevel.DIRECTOR, due, due + lag)
                )
            return
        level_two = FOLLOW_UP[d.tier]
        if row.breaches:  # the respond breach of the first escalation
            at = first_in(WAITING, row.breaches[0].detected_at + level_two + lag)
            if at is not None and at <= now:
                row.breaches.append(
                    self._breach(BreachKind.RESPOND, EscalationLevel.DIRECTOR, d.due_respond_at, at)
                )
        if d.due_match_at + lag <= now:
            at = first_in(UNMATCHED, d.due_match_at + lag)
            if at is not None:
                row.breaches.append(self._breach(BreachKind.MATCH, 1, d.due_match_at, at))
                later = first_in(UNMATCHED, at + level_two + lag)
                if later is not None:
                    row.breaches.append(
                        self._breach(
                            BreachKind.MATCH, EscalationLevel.DIRECTOR, d.due_match_at, later
                        )
                    )

    def _after(self, plan: _Plan, row: _Row) -> None:
        """The follow-up call and the rating of a completed demand."""
        rng, c, d = self.rng, self.c, row.demand
        assert d.completed_at is not None
        completed, now = d.completed_at, c.now
        caller = plan.person.doctor or d.accepted_by_id
        call = _Rec(
            assigned_to_id=caller, due_at=completed + FOLLOW_UP_AFTER, created_at=completed,
            status=FollowUpStatus.DUE, done_by_id=None, done_at=None,
        )  # fmt: skip
        draw = rng.random()
        called = c.daytime(completed + _lognormal_hours(rng, 18, 0.45), rng)
        if draw >= FOLLOW_UP_MISSED and called <= now:
            reached = draw >= FOLLOW_UP_MISSED + FOLLOW_UP_UNREACHABLE
            call.status = FollowUpStatus.DONE if reached else FollowUpStatus.UNREACHABLE
            call.done_by_id, call.done_at = caller, called
            if reached:
                call.problem_solved = rng.random() < 0.92
                call.new_needs = rng.choice(NEW_NEEDS) if rng.random() < 0.05 else ""
        row.follow_up = call
        if rng.random() >= RATED_SHARE:
            return
        if plan.person.login is not None and rng.random() < 0.8:
            source, by = RatingSource.PORTAL, plan.person.login
            at = completed + _lognormal_hours(rng, 6, 0.8)
        elif call.status == FollowUpStatus.DONE:
            source, by, at = RatingSource.FOLLOW_UP, call.done_by_id, call.done_at
        else:
            source, by = RatingSource.PHONE, d.accepted_by_id
            at = c.daytime(completed + _lognormal_hours(rng, 20, 0.6), rng)
        if at is None or at > now:
            return
        overall = _stars(rng, STARS)
        dims = [min(5, max(1, overall + rng.choice((-1, 0, 0, 0, 1)))) for _ in range(5)]
        comment = ""
        if plan.slow:
            dims[0] = _stars(rng, SLOW_SPEED)
            overall = min(overall, rng.choice((3, 4, 4)))
            comment = rng.choice(SLOW_COMMENTS) if rng.random() < 0.5 else ""
        elif rng.random() < 0.2:
            comment = rng.choice(GOOD_COMMENTS if overall >= 4 else POOR_COMMENTS)
        row.rating = _Rec(
            overall=overall, response_speed=dims[0], professionalism=dims[1], attitude=dims[2],
            result=dims[3], convenience=dims[4], comment=comment, source=source,
            recorded_by_id=by, created_at=at,
        )  # fmt: skip


# ---- the whole ------------------------------------------------------------------------------


def write_demands(
    demo: DemoCommunity,
    community: Community,
    users: Sequence[User],
    residents: Sequence[Resident],
) -> dict[str, int]:
    """Write the year of demand history for the demo just written (``users`` and
    ``residents`` in the order of ``demo.users`` and ``demo.residents``). Returns counts."""
    rng = random.Random(f"careloop-demo/{demo.seed}/demands")
    tz = timezone.get_current_timezone()
    now = clock.now()
    today = timezone.localtime(now, tz).date()
    holidays = dict(
        PublicHoliday.objects.filter(
            date__range=(today - timedelta(days=7 * HISTORY_WEEKS + 7), today + timedelta(days=40))
        ).values_list("date", "kind")
    )
    c = _Clock(now, holidays, tz)
    services = _services()
    people = _people(demo, community, users, residents, today)
    guardians: dict[int, list[int]] = {}
    for link in demo.guardians:
        if link.relation == PARENT:
            guardians.setdefault(link.dependant, []).append(link.guardian)
    package_items: dict[str, set[str]] = {}
    for package, code in PackageItem.objects.order_by("id").values_list(
        "package__code", "service__code"
    ):
        package_items.setdefault(package, set()).add(code)
    weeks = _Weeks(c.first_day, holidays)
    plans = _plans(people, services, guardians, weeks, rng, demo.n)
    _channels(plans, package_items, weeks, rng)
    filed = [c.filed(plan, rng) for plan in plans]
    for plan, at in zip(plans, filed, strict=True):
        if plan.service and plan.service.code == "maintenance.home_nursing":
            plan.slow = plan.slow or (
                plan.tier_hint is None and at >= now - timedelta(days=SLOW_DAYS)
            )

    centre = (
        Organisation.objects.filter(
            community=community,
            kind=OrganisationKind.COMMUNITY_CENTRE,
            latitude__isnull=False,
            longitude__isnull=False,
        )
        .order_by("id")
        .values_list("latitude", "longitude")
        .first()
    )
    hospital = (
        Organisation.objects.filter(
            kind=OrganisationKind.HOSPITAL,
            active=True,
            agreements_received__organisation__community=community,
        )
        .order_by("id")
        .first()
    ) or Organisation.objects.filter(kind=OrganisationKind.HOSPITAL, active=True).order_by(
        "id"
    ).first()
    builder = _Builder(
        c, _staff(demo, users), rng,
        centre=(
            (float(centre[0]), float(centre[1]))
            if centre and centre[0] is not None and centre[1] is not None  # as filtered
            else (None, None)
        ),
        hospital=hospital,
        volunteers=sum(Role.VOLUNTEER.value in spec.roles for spec in demo.users),
        public_ids={user.pk: user.public_id for user in users},
    )  # fmt: skip
    order = sorted(range(len(plans)), key=lambda i: (filed[i], i))
    rows = [builder.build(plans[i], filed[i]) for i in order]
    return _save(rows)


def _save(rows: list[_Row]) -> dict[str, int]:
    demands = [row.demand for row in rows]
    _insert(Demand, demands)
    pks: dict[str, int] = {}
    for chunk in chunks([d.public_id for d in demands], 500):
        pks.update(Demand.objects.filter(public_id__in=chunk).values_list("public_id", "pk"))
    events: list[_Rec] = []
    breaches: list[_Rec] = []
    greens: list[_Rec] = []
    calls: list[_Rec] = []
    ratings: list[_Rec] = []
    for row in rows:
        pk = pks[row.demand.public_id]
        for event in row.events:
            event.demand_id = pk
        events.extend(row.events)
        for breach in row.breaches:
            breach.demand_id = pk
        breaches.extend(row.breaches)
        for extra, bucket in ((row.green, greens), (row.follow_up, calls), (row.rating, ratings)):
            if extra is not None:
                extra.demand_id = pk
                bucket.append(extra)
    _insert(DemandEvent, events)
    _insert(DeadlineBreach, breaches)
    _insert(GreenChannelCase, greens)
    _insert(FollowUpCall, calls)
    _insert(Rating, ratings)
    return {
        "demands": len(rows),
        "demand_events": len(events),
        "deadline_breaches": len(breaches),
        "green_channel_cases": len(greens),
        "follow_up_calls": len(calls),
        "ratings": len(ratings),
    }


HISTORY_KEYS = (
    "demands", "demand_events", "deadline_breaches", "green_channel_cases", "follow_up_calls",
    "ratings",
)  # fmt: skip


def history_counts(community: Community) -> dict[str, int]:
    """The demand history of ``community`` as loaded (device-alert demands included)."""
    mine = {"demand__resident__community": community}
    return {
        "demands": Demand.objects.filter(resident__community=community).count(),
        "demand_events": DemandEvent.objects.filter(**mine).count(),
        "deadline_breaches": DeadlineBreach.objects.filter(**mine).count(),
        "green_channel_cases": GreenChannelCase.objects.filter(**mine).count(),
        "follow_up_calls": FollowUpCall.objects.filter(**mine).count(),
        "ratings": Rating.objects.filter(**mine).count(),
    }


def _insert(model: type[models.Model], records: list[_Rec]) -> None:
    """INSERT ``records`` with ``executemany``: what ``bulk_create`` does, without building
    a model instance and compiling every value through the ORM (that was two thirds of this
    module's time for ~70,000 rows). Missing attributes get the field's default (a new public
    id each); datetimes and JSON go through the field's own database preparation."""
    if not records:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    ops = connection.ops

    def prepare(f: models.Field[Any, Any]) -> Callable[[Any], Any]:
        if isinstance(f, models.DateTimeField):
            return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
        if isinstance(f, models.JSONField):
            return lambda v: f.get_db_prep_save(v, connection)
        if isinstance(f, models.CharField):
            return lambda v: None if v is None else str(v)
        return lambda v: v

    preparers = [(f.attname, f, prepare(f)) for f in fields]
    values = []
    for record in records:
        attrs = vars(record)
        for name, f, _ in preparers:
            if name not in attrs:
                attrs[name] = f.get_default()
        values.append([convert(attrs[name]) for name, _, convert in preparers])
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    # Identifiers from the model's own metadata, quoted; values are parameters.
    sql = (
        f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for chunk in chunks(values, BATCH_SIZE):
            cursor.executemany(sql, chunk)
