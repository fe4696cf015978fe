"""The synthetic demo community as plain data: ``generate(n, seed)`` touches no database.

The population follows the reference figures of ``DOMAIN.md``: an age pyramid with 23 % aged
60+ (0–14: 16 %, 15–59: 61 %, 65+: 15 %, after the 2020 census shape), households of about 2.6
people (couples, parents with children, three generations, elders living alone — 12 % of
elders), Chinese names by surname frequency and birth cohort, valid GB 11643 ID numbers of
武昌区 (420106), mainland mobile numbers for adults, and family-doctor teams with contracts.

Homes are on the map: every household has the coordinates of its building, and the
estate's buildings stand scattered evenly over a disc of ``ESTATE_RADIUS_KM`` around the
community health centre (``CENTRE_LAT``, ``CENTRE_LON``; GCJ-02 like every coordinate in
CareLoop), so homes at its edge lie beyond the shorter home-visit radii of the volunteers.

Determinism: every draw comes from ``random.Random`` seeded with a string derived from
``seed`` (string seeds are hashed with SHA-512, so ``PYTHONHASHSEED`` plays no part); the
code iterates lists in a fixed order and never a set or a dict whose order depends on the
data. Building sites come from a stream of their own, drawn in building order, so building
*k* stands in the same place whatever ``n``. Ages are taken on the fixed ``REFERENCE_DATE``,
never on today, so the same ``n`` and ``seed`` give the same ID numbers on any day. The only
value the loader derives from the clock is the signing date of contracts
(``contract_days_ago`` before the day of loading), so that a demo loaded in any year shows
running contracts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from careloop.core.roles import Role
from careloop.core.validators import check_digit
from careloop.demo import names

REFERENCE_DATE = date(2026, 1, 1)
COMMUNITY_CODE = "demo"
COMMUNITY_NAME = "幸福里社区"
DISTRICT = "武昌区"
REGION_CODE = "420106"  # 湖北省武汉市武昌区 (GB/T 2260)
ADDRESS_PREFIX = "武汉市武昌区幸福里小区"
# Blocks of the estate: units per building, floors per unit, flats per floor.
UNITS, FLOORS, FLATS = 3, 11, 4
# 武汉市武昌区: the community health centre, and how far from it the estate's buildings stand.
CENTRE_LAT, CENTRE_LON = Decimal("30.540000"), Decimal("114.330000")
ESTATE_RADIUS_KM = 2.0
KM_PER_DEGREE_LATITUDE = 111.195  # on the mean Earth radius, 6371.0088 km

DEFAULT_RESIDENTS = 12_000
DEFAULT_SEED = 2026
# Family-doctor teams: doctors and nurses per team (a health manager each).
DOCTORS_PER_TEAM = (2, 1, 2, 1, 2, 1, 2, 1)
NURSES_PER_TEAM = (1, 2, 1, 2, 1, 2, 1, 2)
RESIDENT_LOGINS = 5

# Age bands (first age, last age, share in per cent), after the 2020 census, scaled so that
# 0–14 is 16 %, 15–59 is 61 %, 60+ is 23 % and 65+ is 15 %.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 4, 4.6), (5, 9, 5.7), (10, 14, 5.7),
    (15, 19, 5.0), (20, 24, 5.2), (25, 29, 6.3), (30, 34, 8.4), (35, 39, 6.7),
    (40, 44, 6.4), (45, 49, 7.9), (50, 54, 8.3), (55, 59, 6.8),
    (60, 64, 8.0), (65, 69, 5.9), (70, 74, 4.3), (75, 79, 2.6), (80, 84, 1.3),
    (85, 89, 0.6), (90, 99, 0.3),
)  # fmt: skip
ELDER_AGE = 60
ADULT_AGE = 18
ALONE_SHARE_OF_ELDERS = 0.12

# Values of residents.models (kept literal so this module needs no app registry).
MALE, FEMALE = "M", "F"
PARENT, ADULT_CHILD, SPOUSE = "parent", "child", "spouse"
APP, SMS, WECHAT, PHONE = "app", "sms", "wechat", "phone"
HEARING, VISUAL = "hearing", "visual"
# Contact preferences (002 §4.2): about a third of residents aged 70+ have no smartphone and
# are phoned by their care team; people with a hearing or visual disability leave a note.
NO_SMARTPHONE_AGE, NO_SMARTPHONE_SHARE = 70, 0.35
ELDER_CHANNELS = ((SMS, 0.5), (WECHAT, 0.4), (PHONE, 0.1))
ADULT_CHANNELS = ((WECHAT, 0.6), (SMS, 0.4))
TIMES_TO_CALL = ("any", "morning", "afternoon", "evening")
CONTACT_NOTES = {
    (HEARING, True): "耳背，请打电话时大声、慢一点",
    (HEARING, False): "听力障碍，请发短信，勿打电话",
    (VISUAL, True): "视力不好，看不清短信，请打电话",
    (VISUAL, False): "视力障碍，请打电话",
}


@dataclass(frozen=True)
class ResidentSpec:
    name: str
    sex: str
    birth_date: date
    age: int  # on REFERENCE_DATE
    id_number: str
    phone: str
    occupation: str
    disability: str
    living_alone: bool
    household: int  # index into DemoCommunity.households
    team: int | None  # index into DemoCommunity.teams when contracted
    doctor: str  # username of the signing doctor, "" when not contracted
    contract_days_ago: int | None
    contact_channel: str = SMS
    has_smartphone: bool = True
    contact_note: str = ""
    preferred_time_of_day: str = "any"


@dataclass(frozen=True)
class HouseholdSpec:
    code: str
    address: str
    members: tuple[int, ...]
    team: int  # the team serving the flat; members who sign a contract sign with it
    doctor: str  # username of the household's family doctor
    latitude: float  # the building's (GCJ-02)
    longitude: float


@dataclass(frozen=True)
class GuardianSpec:
    guardian: int
    dependant: int
    relation: str


@dataclass(frozen=True)
class TeamSpec:
    name: str


@dataclass(frozen=True)
class UserSpec:
    username: str
    name: str
    roles: tuple[str, ...]
    is_superuser: bool = False
    team: int | None = None
    is_lead: bool = False
    resident: int | None = None  # index into DemoCommunity.residents for portal logins
    persona: str = ""
    sex: str = ""  # staff only (the Provider's sex); a resident login's is the resident's


@dataclass(frozen=True)
class DemoCommunity:
    n: int
    seed: int
    residents: tuple[ResidentSpec, ...]
    households: tuple[HouseholdSpec, ...]
    guardians: tuple[GuardianSpec, ...]
    teams: tuple[TeamSpec, ...]
    users: tuple[UserSpec, ...]


# ---- people and the pool they are drawn from ----------------------------------------------


class _Person:
    __slots__ = ("age", "birth_date", "disability", "idx", "sex", "surname")

    def __init__(self, idx: int, age: int, sex: str, birth_date: date, disability: str) -> None:
        self.idx = idx
        self.age = age
        self.sex = sex
        self.birth_date = birth_date
        self.disability = disability
        self.surname = ""


class _Household:
    __slots__ = ("alone", "links", "members")

    def __init__(self) -> None:
        self.members: list[_Person] = []
        self.links: list[tuple[_Person, _Person, str]] = []
        self.alone = False


class _Pool:
    """People not yet placed in a household, bucketed by sex and age."""

    def __init__(self, people: list[_Person], rng: random.Random) -> None:
        self.rng = rng
        self.buckets: dict[tuple[str, int], list[_Person]] = {}
        self.placed: list[bool] = [False] * len(people)
        for person in people:
            self.buckets.setdefault((person.sex, person.age), []).append(person)

    def free(self, person: _Person) -> bool:
        return not self.placed[person.idx]

    def remove(self, person: _Person) -> None:
        self.buckets[(person.sex, person.age)].remove(person)
        self.placed[person.idx] = True

    def take(self, sex: str, target: int, lo: int, hi: int, tolerance: int) -> _Person | None:
        """A random unplaced person of ``sex`` aged nearest ``target`` within the bounds."""
        for delta in range(tolerance + 1):
            for age in (target - delta, target + delta) if delta else (target,):
                if not lo <= age <= hi:
                    continue
                bucket = self.buckets.get((sex, age))
                if bucket:
                    j = self.rng.randrange(len(bucket))
                    bucket[j], bucket[-1] = bucket[-1], bucket[j]
                    person = bucket.pop()
                    self.placed[person.idx] = True
                    return person
        return None

    def take_either(self, target: int, lo: int, hi: int, tolerance: int) -> _Person | None:
        first = MALE if self.rng.random() < 0.5 else FEMALE
        second = FEMALE if first == MALE else MALE
        return self.take(first, target, lo, hi, tolerance) or self.take(
            second, target, lo, hi, tolerance
        )


def _band_counts(n: int) -> list[int]:
    """Residents per age band: exact quotas by largest remainder, so the shares hold for
    any ``n`` (ties go to the earlier band)."""
    raw = [n * share / 100 for _, _, share in AGE_BANDS]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _male_share(age: int) -> float:
    if age < 60:
        return 0.51
    if age < 70:
        return 0.49
    if age < 80:
        return 0.47
    return 0.42


def _disability_chance(age: int) -> float:
    if age < ADULT_AGE:
        return 0.015
    if age < ELDER_AGE:
        return 0.045
    return 0.13


def _birth_date(rng: random.Random, age: int) -> date:
    latest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age)
    earliest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age - 1) + timedelta(days=1)
    return date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))


def _people(n: int, rng: random.Random) -> list[_Person]:
    disability_values = [value for value, _ in names.DISABILITIES]
    disability_cum = list(accumulate(weight for _, weight in names.DISABILITIES))
    people: list[_Person] = []
    for (lo, hi, _), count in zip(AGE_BANDS, _band_counts(n), strict=True):
        for _ in range(count):
            age = rng.randint(lo, hi)
            sex = MALE if rng.random() < _male_share(age) else FEMALE
            disability = ""
            if rng.random() < _disability_chance(age):
                disability = rng.choices(disability_values, cum_weights=disability_cum)[0]
            people.append(_Person(len(people), age, sex, _birth_date(rng, age), disability))
    return people


# ---- households -------------------------------------------------------------------------


def _needs_help(person: _Person) -> bool:
    return person.age >= 75 or bool(person.disability)


def _families_with_children(
    people: list[_Person], pool: _Pool, rng: random.Random, out: list[_Household]
) -> None:
    """Children live with one or two parents, often with grandparents (隔代照料)."""
    children = sorted((p for p in people if p.age < ADULT_AGE), key=lambda p: (-p.age, p.idx))
    for oldest in children:
        if not pool.free(oldest):
            continue
        pool.remove(oldest)
        kids = [oldest]
        for _ in range(rng.choices((0, 1, 2), weights=(62, 31, 7))[0]):
            sibling = pool.take_either(oldest.age - rng.randint(2, 6), 0, oldest.age, 3)
            if sibling is not None:
                kids.append(sibling)
        youngest = min(kid.age for kid in kids)
        mother_age = min(oldest.age + rng.randint(24, 34), 56)
        single = rng.random() < 0.12
        mother = father = None
        if not single or rng.random() < 0.8:
            mother = pool.take(FEMALE, mother_age, 20, 59, 4)
        if not single or mother is None:
            father = pool.take(MALE, mother_age + rng.randint(0, 4), 20, 62, 4)
        parents = [p for p in (father, mother) if p is not None]
        if not parents:  # tiny populations: any adult of a plausible age raises the child
            stand_in = pool.take_either(mother_age, ADULT_AGE, 99, 60)
            parents = [stand_in] if stand_in is not None else []
        household = _Household()
        household.members.extend(parents)
        household.members.extend(kids)
        household.links.extend((parent, kid, PARENT) for parent in parents for kid in kids)
        # Surnames: children take the father's; the mother keeps her own.
        family_name = _surname(rng)
        if father is not None:
            father.surname = family_name
        if mother is not None:
            mother.surname = _surname(rng)
        for kid in kids:
            kid.surname = family_name
        for parent in parents:
            parent.surname = parent.surname or family_name
        if rng.random() < (0.5 if youngest < 7 else 0.3) and parents:
            anchor = father if father is not None and rng.random() < 0.7 else parents[-1]
            grand_age = anchor.age + rng.randint(24, 32)
            grandparents = []
            if rng.random() < 0.55:
                grandparents.append(pool.take(MALE, grand_age + rng.randint(0, 3), 45, 99, 4))
                grandparents.append(pool.take(FEMALE, grand_age, 45, 99, 4))
            else:
                sex = FEMALE if rng.random() < 0.65 else MALE
                grandparents.append(pool.take(sex, grand_age, 45, 99, 4))
            for grand in grandparents:
                if grand is None:
                    continue
                household.members.append(grand)
                if grand.sex == MALE:
                    grand.surname = anchor.surname or ""
                if _needs_help(grand) or rng.random() < 0.3:
                    household.links.append((anchor, grand, ADULT_CHILD))
        out.append(household)


def _with_adult_child(
    elders: list[_Person], pool: _Pool, rng: random.Random, household: _Household
) -> None:
    """Add an adult child (sometimes with a spouse) to an elder household."""
    youngest_parent = min(p.age for p in elders)
    target = youngest_parent - rng.randint(24, 32)
    child = pool.take_either(target, 22, 69, 5) or pool.take_either(target, 20, 69, 15)
    if child is None:
        return
    household.members.append(child)
    if rng.random() < 0.6:
        spouse_sex = FEMALE if child.sex == MALE else MALE
        spouse = pool.take(spouse_sex, child.age + rng.randint(-3, 3), 22, 69, 4)
        if spouse is not None:
            household.members.append(spouse)
    father = next((p for p in elders if p.sex == MALE), None)
    if father is not None:  # a child carries the father's surname
        child.surname = father.surname = father.surname or _surname(rng)
    for elder in elders:
        if _needs_help(elder) or rng.random() < 0.3:
            household.links.append((child, elder, ADULT_CHILD))


def _elders(people: list[_Person], pool: _Pool, rng: random.Random, out: list[_Household]) -> None:
    elders = [p for p in people if p.age >= ELDER_AGE]
    # Elders living alone (空巢独居): a fixed share of all elders, drawn first.
    free = [p for p in elders if pool.free(p)]
    target = round(ALONE_SHARE_OF_ELDERS * len(elders))
    for person in rng.sample(free, min(target, len(free))):
        pool.remove(person)
        household = _Household()
        household.members.append(person)
        household.alone = True
        out.append(household)
    # Couples, some with an unmarried or returning adult child.
    for husband in elders:
        if husband.sex != MALE or not pool.free(husband):
            continue
        pool.remove(husband)
        wife = pool.take(FEMALE, husband.age - rng.randint(0, 4), 50, 99, 5)
        household = _Household()
        household.members.append(husband)
        if wife is None:
            _with_adult_child([husband], pool, rng, household)
        else:
            household.members.append(wife)
            for carer, cared in ((husband, wife), (wife, husband)):
                if _needs_help(cared) and not _needs_help(carer):
                    household.links.append((carer, cared, SPOUSE))
            if rng.random() < 0.3:
                _with_adult_child([husband, wife], pool, rng, household)
        out.append(household)
    # Widowed elders move in with an adult child's family.
    for widow in elders:
        if not pool.free(widow):
            continue
        pool.remove(widow)
        household = _Household()
        household.members.append(widow)
        _with_adult_child([widow], pool, rng, household)
        household.alone = len(household.members) == 1
        out.append(household)


def _young_adults_at_home(
    people: list[_Person], pool: _Pool, rng: random.Random, out: list[_Household]
) -> None:
    """Unmarried young adults still living with their parents (the norm in China)."""
    for young in people:
        if not (ADULT_AGE <= young.age < 30) or not pool.free(young):
            continue
        if rng.random() >= (0.55 if young.age < 25 else 0.3):
            continue
        pool.remove(young)
        mother_age = young.age + rng.randint(24, 32)
        mother = pool.take(FEMALE, mother_age, 40, 99, 4)
        father = (
            pool.take(MALE, mother_age + rng.randint(0, 4), 40, 99, 4)
            if rng.random() < 0.88 or mother is None
            else None
        )
        parents = [p for p in (father, mother) if p is not None]
        household = _Household()
        household.members.extend(parents)
        household.members.append(young)
        if father is not None:
            young.surname = father.surname = _surname(rng)
        if not parents:
            household.alone = True
        out.append(household)


def _other_adults(
    people: list[_Person], pool: _Pool, rng: random.Random, out: list[_Household]
) -> None:
    """Everyone left: couples whose children have left or who have none, and singles."""
    for person in people:
        if not pool.free(person):
            continue
        pool.remove(person)
        household = _Household()
        household.members.append(person)
        age = person.age
        chance = 0.1 if age < 23 else 0.45 if age < 28 else 0.75 if age < 35 else 0.85
        if rng.random() < chance:
            other = FEMALE if person.sex == MALE else MALE
            shift = -rng.randint(0, 3) if person.sex == MALE else rng.randint(0, 3)
            partner = pool.take(other, age + shift, ADULT_AGE, 99, 5)
            if partner is not None:
                household.members.append(partner)
        household.alone = len(household.members) == 1
        out.append(household)


# ---- identities ---------------------------------------------------------------------------

_SURNAME_VALUES = [s for s, _ in names.SURNAMES]
_SURNAME_CUM = list(accumulate(w for _, w in names.SURNAMES))
_OCCUPATION_VALUES = [o for o, _ in names.OCCUPATIONS]
_OCCUPATION_CUM = list(accumulate(w for _, w in names.OCCUPATIONS))


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_VALUES, cum_weights=_SURNAME_CUM)[0]


def _given_name(rng: random.Random, birth_year: int, sex: str) -> str:
    double, single, single_share = names.given_name_pool(birth_year, sex)
    return rng.choice(single) if rng.random() < single_share else rng.choice(double)


def _id_number(rng: random.Random, birth: date, sex: str, used: set[str]) -> str:
    while True:
        # Sequence code 002–999: odd for a man, even for a woman.
        sequence = rng.randrange(1, 500) * 2 + (1 if sex == MALE else 0)
        first17 = f"{REGION_CODE}{birth:%Y%m%d}{sequence:03d}"
        if first17 not in used:
            used.add(first17)
            return first17 + check_digit(first17)


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = f"{rng.choice(names.MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def _occupation(rng: random.Random, age: int, sex: str) -> str:
    if age < 6:
        return ""
    if age < ADULT_AGE or (age <= 22 and rng.random() < 0.6):
        return names.STUDENT
    retired = age >= 60 or (sex == FEMALE and (age >= 55 or (age >= 50 and rng.random() < 0.4)))
    if retired:
        return names.RETIRED
    return rng.choices(_OCCUPATION_VALUES, cum_weights=_OCCUPATION_CUM)[0]


def _contact(rng: random.Random, age: int, disability: str) -> tuple[str, bool, str, str]:
    """Contact preferences of an adult: channel, has a smartphone, note for staff, time to
    call (children keep the model's defaults: staff reach a guardian)."""
    elder = age >= ELDER_AGE
    smartphone = not (age >= NO_SMARTPHONE_AGE and rng.random() < NO_SMARTPHONE_SHARE)
    choices = ELDER_CHANNELS if elder else ADULT_CHANNELS
    channel = rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
    if not smartphone or disability == VISUAL:
        channel = PHONE
    elif disability == HEARING and not elder:
        channel = SMS
    note = CONTACT_NOTES.get((disability, elder), "")
    return channel, smartphone, note, rng.choice(TIMES_TO_CALL) if channel == PHONE else "any"


def _contract_chance(age: int, disability: str) -> float:
    if disability:
        return 0.95
    if age >= ELDER_AGE:
        return 0.88
    return 0.6 if age < ADULT_AGE else 0.55


def _staff_person(
    rng: random.Random, used: set[str], ages: tuple[int, int] = (26, 56), male: float = 0.45
) -> tuple[str, str]:
    """A unique (name, sex) for a member of staff aged within ``ages``."""
    while True:
        age = rng.randint(*ages)
        sex = MALE if rng.random() < male else FEMALE
        name = _surname(rng) + _given_name(rng, REFERENCE_DATE.year - age, sex)
        if name not in used:
            used.add(name)
            return name, sex


def _staff_user(
    rng: random.Random,
    used: set[str],
    username: str,
    role: str,
    *,
    is_superuser: bool = False,
    team: int | None = None,
    is_lead: bool = False,
) -> UserSpec:
    name, sex = _staff_person(rng, used)
    return UserSpec(
        username, name, (role,), is_superuser=is_superuser, team=team, is_lead=is_lead, sex=sex
    )


# ---- the whole community ------------------------------------------------------------------


def _staff(seed: int) -> tuple[list[TeamSpec], list[UserSpec], list[list[str]]]:
    rng = random.Random(f"careloop-demo/{seed}/staff")
    used: set[str] = set()
    users = [
        _staff_user(rng, used, "admin", Role.SYSTEM_ADMIN.value, is_superuser=True),
        _staff_user(rng, used, "director", Role.CENTRE_DIRECTOR.value),
    ]
    teams: list[TeamSpec] = []
    team_doctors: list[list[str]] = []
    doctor = nurse = 0
    for t, (doctors, nurses) in enumerate(zip(DOCTORS_PER_TEAM, NURSES_PER_TEAM, strict=True)):
        usernames = []
        for d in range(doctors):
            doctor += 1
            user = _staff_user(
                rng, used, f"doctor{doctor}", Role.FAMILY_DOCTOR.value, team=t, is_lead=d == 0
            )
            if d == 0:
                teams.append(TeamSpec(f"{user.name}家庭医生团队"))
            users.append(user)
            usernames.append(user.username)
        team_doctors.append(usernames)
        for _ in range(nurses):
            nurse += 1
            users.append(_staff_user(rng, used, f"nurse{nurse}", Role.NURSE.value, team=t))
        users.append(
            _staff_user(rng, used, f"health_manager{t + 1}", Role.HEALTH_MANAGER.value, team=t)
        )
    special = {
        Role.RESIDENT,
        Role.SYSTEM_ADMIN,
        Role.CENTRE_DIRECTOR,
        Role.FAMILY_DOCTOR,
        Role.NURSE,
        Role.HEALTH_MANAGER,
    }
    for role in Role:
        if role not in special:
            users.append(_staff_user(rng, used, f"{role.value}1", role.value))
    return teams, users, team_doctors


def demo_usernames(seed: int = DEFAULT_SEED) -> list[str]:
    """The stable usernames of the demo logins, staff first, in display order."""
    _, users, _ = _staff(seed)
    return [u.username for u in users] + [f"resident{k}" for k in range(1, RESIDENT_LOGINS + 1)]


def generate(n: int = DEFAULT_RESIDENTS, seed: int = DEFAULT_SEED) -> DemoCommunity:
    """The demo community of ``n`` residents for ``seed``: same arguments, same community."""
    if n < 1:
        raise ValueError("a demo community needs at least one resident")
    rng = random.Random(f"careloop-demo/{seed}/residents")
    people = _people(n, rng)
    pool = _Pool(people, rng)
    built: list[_Household] = []
    _families_with_children(people, pool, rng, built)
    _elders(people, pool, rng, built)
    _young_adults_at_home(people, pool, rng, built)
    _other_adults(people, pool, rng, built)
    rng.shuffle(built)  # mix the kinds of household over the estate's buildings

    teams, users, team_doctors = _staff(seed)
    order: list[_Person] = [p for household in built for p in household.members]
    position = {p.idx: i for i, p in enumerate(order)}
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    # A stream of its own, so the preferences leave every other draw as it was.
    contact_rng = random.Random(f"careloop-demo/{seed}/contact")
    residents: list[ResidentSpec] = []
    households: list[HouseholdSpec] = []
    per_flat = UNITS * FLOORS * FLATS
    sites = building_sites(seed, -(-len(built) // per_flat))
    for h, household in enumerate(built):
        building, rest = divmod(h, per_flat)
        unit, rest = divmod(rest, FLOORS * FLATS)
        floor, flat = divmod(rest, FLATS)
        room = f"{floor + 1}{flat + 1:02d}"
        address = f"{ADDRESS_PREFIX}{building + 1}栋{unit + 1}单元{room}室"
        team = rng.randrange(len(teams))
        doctor = rng.choice(team_doctors[team])
        taken: set[str] = set()
        for person in household.members:
            surname = person.surname or _surname(rng)
            name = surname + _given_name(rng, person.birth_date.year, person.sex)
            while name in taken:  # no two members of a household share a full name
                name = surname + _given_name(rng, person.birth_date.year, person.sex)
            taken.add(name)
            contracted = rng.random() < _contract_chance(person.age, person.disability)
            adult = person.age >= ADULT_AGE
            channel, smartphone, note, time_to_call = (
                _contact(contact_rng, person.age, person.disability)
                if adult
                else (SMS, True, "", "any")
            )
            residents.append(
                ResidentSpec(
                    name=name,
                    sex=person.sex,
                    birth_date=person.birth_date,
                    age=person.age,
                    id_number=_id_number(rng, person.birth_date, person.sex, used_ids),
                    phone=_phone(rng, used_phones) if adult else "",
                    occupation=_occupation(rng, person.age, person.sex),
                    disability=person.disability,
                    living_alone=household.alone,
                    household=h,
                    team=team if contracted else None,
                    doctor=doctor if contracted else "",
                    contract_days_ago=rng.randint(0, 364) if contracted else None,
                    contact_channel=channel,
                    has_smartphone=smartphone,
                    contact_note=note,
                    preferred_time_of_day=time_to_call,
                )
            )
        households.append(
            HouseholdSpec(
                code=f"{building + 1:02d}-{unit + 1}-{room}",
                address=address,
                members=tuple(position[p.idx] for p in household.members),
                team=team,
                doctor=doctor,
                latitude=sites[building][0],
                longitude=sites[building][1],
            )
        )
    guardians = [
        GuardianSpec(position[g.idx], position[d.idx], relation)
        for household in built
        for g, d, relation in household.links
    ]
    users.extend(_resident_logins(residents, households, guardians))
    return DemoCommunity(
        n=n,
        seed=seed,
        residents=tuple(residents),
        households=tuple(households),
        guardians=tuple(guardians),
        teams=tuple(teams),
        users=tuple(users),
    )


def building_sites(seed: int, count: int) -> list[tuple[float, float]]:
    """(latitude, longitude) of the estate's first ``count`` buildings: evenly over the disc
    of ``ESTATE_RADIUS_KM`` around the centre (a radius of R·√u), to six decimals."""
    rng = random.Random(f"careloop-demo/{seed}/homes")
    lat, lon = float(CENTRE_LAT), float(CENTRE_LON)
    km_per_degree_longitude = KM_PER_DEGREE_LATITUDE * math.cos(math.radians(lat))
    sites = []
    for _ in range(count):
        distance = ESTATE_RADIUS_KM * math.sqrt(rng.random())
        bearing = rng.uniform(0.0, 2 * math.pi)
        sites.append(
            (
                round(lat + distance * math.cos(bearing) / KM_PER_DEGREE_LATITUDE, 6),
                round(lon + distance * math.sin(bearing) / km_per_degree_longitude, 6),
            )
        )
    return sites


def _resident_logins(
    residents: list[ResidentSpec],
    households: list[HouseholdSpec],
    guardians: list[GuardianSpec],
) -> list[UserSpec]:
    """Portal logins for a few residents who make good demo personas (DOMAIN.md segments).

    A persona without a contract is given one with the household's team, so that every
    demo login is seen by a care team.
    """
    dependants: dict[int, list[GuardianSpec]] = {}
    for link in guardians:
        dependants.setdefault(link.guardian, []).append(link)

    def cares_for(i: int, relation: str, max_age: int = 200) -> bool:
        return any(
            link.relation == relation and residents[link.dependant].age <= max_age
            for link in dependants.get(i, ())
        )

    personas: tuple[tuple[str, Callable[[int, ResidentSpec], bool]], ...] = (
        ("elder caring for a spouse", lambda i, r: r.age >= 60 and cares_for(i, SPOUSE)),
        ("parent of a pre-school child", lambda i, r: cares_for(i, PARENT, max_age=6)),
        ("young professional living alone", lambda i, r: 25 <= r.age < 40 and r.living_alone),
        ("elder living alone", lambda i, r: r.age >= 70 and r.living_alone),
        ("adult child caring for an elder", lambda i, r: cares_for(i, ADULT_CHILD)),
    )
    chosen: list[int] = []
    logins: list[UserSpec] = []
    for persona, matches in personas[:RESIDENT_LOGINS]:
        candidates = [
            i
            for i, r in enumerate(residents)
            if i not in chosen and r.age >= ADULT_AGE and matches(i, r)
        ]
        if not candidates:  # a tiny community may lack the persona: any adult will do
            candidates = [
                i for i, r in enumerate(residents) if i not in chosen and r.age >= ADULT_AGE
            ]
        if not candidates:
            break
        # Prefer someone already contracted; the first in household order otherwise.
        i = next((c for c in candidates if residents[c].team is not None), candidates[0])
        chosen.append(i)
        # A portal login reads its messages in the app.
        residents[i] = replace(residents[i], contact_channel=APP, has_smartphone=True)
        if residents[i].team is None:
            household = households[residents[i].household]
            residents[i] = replace(
                residents[i], team=household.team, doctor=household.doctor, contract_days_ago=30
            )
        logins.append(
            UserSpec(
                f"resident{len(logins) + 1}",
                residents[i].name,
                (Role.RESIDENT.value,),
                resident=i,
                persona=persona,
            )
        )
    return logins
