"""The demo community's health data as plain data: ``generate_health`` touches no database.

What it adds to a ``DemoCommunity`` (DOMAIN.md, "Reference population"):

- **Conditions** (ICD-10 codes of ``residents/data/conditions-v1.json``) drawn per resident
  from age-specific rates: hypertension (adults about 26 %, 65+ about 56 %), type 2 diabetes
  (adults about 12 %, more often with hypertension, so about a fifth of the 65+ have both),
  and smaller shares of hyperlipidaemia, coronary heart disease, stroke sequelae, COPD,
  osteoporosis (mostly women), depression, CKD and dementia (mostly 80+).
- **Medications** for most chronic patients, with adherence: among hypertensive residents
  aged 60–70, 45 % adhere poorly (DOMAIN.md); elsewhere about 20 %.
- **Lifestyle questionnaire** answers (``lifestyle`` v1) for ``LIFESTYLE_SHARE`` of adults.
- **Devices**: ``WRISTBANDS_PER_12000`` wristbands per 12,000 residents (800 for the reference
  community, proportionally fewer for a smaller one, at least one when there are elders),
  drawn among elders weighted towards the 65+ with a chronic condition; some wearers with
  hypertension also have a BP monitor, some diabetics a glucometer and some with COPD (or
  other elders) a pulse oximeter.
- **Readings** for the ``READING_DAYS`` days before the load day: daily steps and resting
  heart rate from every wristband, a morning BP from each BP monitor, a fasting glucose from
  each glucometer, an SpO₂ from each oximeter. Days are offsets (1 = yesterday), so the loader
  anchors them on the day of loading and the demo always looks current.

Planted patterns: owners of each kind of device get a pattern from a fixed plan (``*_PLAN``)
in the order they were drawn. The plans start with one of each abnormal pattern, so even a
small community (a few hundred residents) has readings that trigger every alert rule within
the last 7 days: BP ≥ 135/85 at home (routine), ≥ 180/110 (urgent), BP fluctuation, high and
low fasting glucose, fast and slow heart rate, low SpO₂ and an activity drop over the last 3
days against the 14-day median. Normal readings stay clear of every threshold.

Determinism: one ``random.Random`` seeded from ``seed``; residents in index order.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from careloop.demo.generator import ADULT_AGE, FEMALE, DemoCommunity, ResidentSpec

# ICD-10 codes (residents/data/conditions-v1.json).
HTN, DM, LIPIDS, CHD, STROKE, COPD = "I10", "E11", "E78", "I25", "I69", "J44"
OSTEOPOROSIS, DEPRESSION, CKD, DEMENTIA, ALZHEIMER = "M81", "F32", "N18", "F03", "G30"

# Values of observations.models / residents.models (literal: no app registry needed).
WRISTBAND, BP_MONITOR, GLUCOMETER, OXIMETER = "wristband", "bp_monitor", "glucometer", "oximeter"
GOOD, PARTIAL, POOR = "good", "partial", "poor"
STEPS, HEART_RATE, BP, GLUCOSE_FASTING, SPO2 = "55423-8", "8867-4", "85354-9", "14770-2", "59408-5"

WRISTBANDS_PER_12000 = 800
BP_MONITOR_SHARE = 0.15  # of wristbands
GLUCOMETER_SHARE = 0.08
OXIMETER_SHARE = 0.03
LIFESTYLE_SHARE = 0.30  # of adults
READING_DAYS = 30

# Patterns per device kind, handed out in this order (then again from the start).
WRISTBAND_PLAN = (
    "drop", "hr_high", "hr_low", *("normal",) * 10, "drop", *("normal",) * 10, "hr_high",
    *("normal",) * 5, "hr_low", *("normal",) * 5,
)  # fmt: skip
BP_PLAN = (
    "urgent", "fluctuating", "high", "controlled", "high", "controlled", "controlled", "high",
    "controlled", "high", "fluctuating", "controlled", "high", "controlled", "high",
    "controlled", "controlled", "high", "controlled", "high",
)  # fmt: skip
GLUCOSE_PLAN = (
    "high", "low", "controlled", "high", "controlled", "high", "controlled", "controlled",
    "high", "controlled", "critical_low", "high", "controlled",
)  # fmt: skip
SPO2_PLAN = ("low", "normal", "normal", "normal")

# Medicines per condition: (name, dose, frequency).
MEDICINES: dict[str, tuple[tuple[str, str, str], ...]] = {
    HTN: (
        ("苯磺酸氨氯地平片", "5 mg", "每日1次"),
        ("缬沙坦胶囊", "80 mg", "每日1次"),
        ("厄贝沙坦氢氯噻嗪片", "150 mg/12.5 mg", "每日1次"),
    ),
    DM: (("盐酸二甲双胍片", "0.5 g", "每日3次"), ("阿卡波糖片", "50 mg", "每日3次")),
    LIPIDS: (("阿托伐他汀钙片", "20 mg", "每晚1次"),),
    CHD: (("阿司匹林肠溶片", "100 mg", "每日1次"),),
    STROKE: (("氯吡格雷片", "75 mg", "每日1次"),),
    COPD: (("噻托溴铵粉吸入剂", "18 μg", "每日1次"),),
    OSTEOPOROSIS: (("阿仑膦酸钠片", "70 mg", "每周1次"),),
    DEPRESSION: (("舍曲林片", "50 mg", "每日1次"),),
    DEMENTIA: (("多奈哌齐片", "5 mg", "每晚1次"),),
    ALZHEIMER: (("多奈哌齐片", "5 mg", "每晚1次"),),
}
TREATED_SHARE = {HTN: 0.75, DM: 0.85, LIPIDS: 0.5, CHD: 0.9, STROKE: 0.8, COPD: 0.6,
                 OSTEOPOROSIS: 0.5, DEPRESSION: 0.6, DEMENTIA: 0.5, ALZHEIMER: 0.5}  # fmt: skip


@dataclass(frozen=True)
class ConditionSpec:
    resident: int
    code: str  # ICD-10
    onset_days_ago: int


@dataclass(frozen=True)
class MedicationSpec:
    resident: int
    name: str
    dose: str
    frequency: str
    adherence: str
    start_days_ago: int


@dataclass(frozen=True)
class LifestyleSpec:
    resident: int
    answers: tuple[tuple[str, object], ...]  # linkId → value, in schema order
    days_ago: int


@dataclass(frozen=True)
class DeviceSpec:
    resident: int
    kind: str
    serial: str
    pattern: str


@dataclass(frozen=True)
class ReadingSpec:
    device: int  # index into DemoHealth.devices
    code: str  # LOINC
    days_ago: int  # 1 = the day before the load day
    minute: int  # minute of the local day
    value: str  # decimal text
    value2: str = ""


@dataclass(frozen=True)
class DemoHealth:
    conditions: tuple[ConditionSpec, ...]
    medications: tuple[MedicationSpec, ...]
    lifestyle: tuple[LifestyleSpec, ...]
    devices: tuple[DeviceSpec, ...]
    readings: tuple[ReadingSpec, ...]


def wristband_count(n: int) -> int:
    """Wristbands for ``n`` residents: 800 per 12,000, rounded (at least one if ``n`` ≥ 8)."""
    return max(1, round(WRISTBANDS_PER_12000 * n / 12_000)) if n >= 8 else 0


# ---- conditions ---------------------------------------------------------------------------


def _htn_rate(age: int) -> float:
    for upper, rate in ((24, 0.04), (34, 0.06), (44, 0.14), (54, 0.27), (64, 0.42), (74, 0.55)):
        if age <= upper:
            return rate
    return 0.60


def _dm_rate(age: int) -> float:
    for upper, rate in ((29, 0.025), (39, 0.05), (49, 0.09), (59, 0.14), (69, 0.20)):
        if age <= upper:
            return rate
    return 0.22


DM_WITH_HTN = 1.6  # relative rate of diabetes among the hypertensive


def _conditions(r: ResidentSpec, rng: random.Random) -> list[str]:
    age = r.age
    if age < ADULT_AGE:
        return ["J45"] if rng.random() < 0.02 else []  # asthma in children
    found: list[str] = []
    p_htn = _htn_rate(age)
    htn = rng.random() < p_htn
    if htn:
        found.append(HTN)
    # Diabetes keeps its age rate overall but goes with hypertension (the HTN+DM overlap).
    boost = DM_WITH_HTN if htn else (1 - DM_WITH_HTN * p_htn) / (1 - p_htn)
    dm = rng.random() < _dm_rate(age) * boost
    if dm:
        found.append(DM)
    old = age >= 65
    if rng.random() < (0.05 if age < 45 else 0.12 if not old else 0.15) * (1.5 if dm else 1):
        found.append(LIPIDS)
    if age >= 45 and rng.random() < (0.02 if not old else 0.06 if age < 75 else 0.09):
        found.append(CHD)
    if age >= 45 and rng.random() < (0.01 if not old else 0.03 if age < 75 else 0.05) * (
        1.5 if htn else 1
    ):
        found.append(STROKE)
    if age >= 40 and rng.random() < (0.03 if not old else 0.08):
        found.append(COPD)
    if age >= 50:
        rate = (
            (0.06 if r.sex == FEMALE else 0.02) if not old else (0.2 if r.sex == FEMALE else 0.06)
        )
        if rng.random() < rate:
            found.append(OSTEOPOROSIS)
    if rng.random() < (0.02 if not old else 0.03):
        found.append(DEPRESSION)
    if age >= 40 and rng.random() < (0.02 if not old else 0.05) * (2 if dm else 1):
        found.append(CKD)
    if age >= 65:
        rate = 0.01 if age < 75 else 0.04 if age < 80 else 0.08 if age < 85 else 0.15
        if rng.random() < rate:
            found.append(ALZHEIMER if rng.random() < 0.4 else DEMENTIA)
    return found


def _adherence(r: ResidentSpec, code: str, rng: random.Random) -> str:
    poor = 0.45 if code == HTN and 60 <= r.age <= 70 else 0.2
    draw = rng.random()
    return POOR if draw < poor else PARTIAL if draw < poor + 0.2 else GOOD


def _treated(r: ResidentSpec, code: str, rng: random.Random) -> bool:
    if code == HTN and 60 <= r.age <= 70:
        return True  # every hypertensive 60–70 is on treatment: the 45 % is among them
    return rng.random() < TREATED_SHARE.get(code, 0)


# ---- lifestyle ----------------------------------------------------------------------------


def _lifestyle(r: ResidentSpec, conditions: list[str], rng: random.Random) -> dict[str, object]:
    male = r.sex != FEMALE
    old = r.age >= 65

    def pick(options: tuple[str, ...], weights: tuple[float, ...]) -> str:
        return rng.choices(options, weights=weights)[0]

    smoking = pick(("never", "former", "current"), (45, 15, 40) if male else (96, 1, 3))
    answers: dict[str, object] = {
        "diet": pick(("balanced", "meat", "vegetarian", "irregular"), (55, 20, 15, 10)),
        "salt_intake": pick(
            ("light", "moderate", "heavy"), (20, 45, 35 if HTN in conditions else 30)
        ),
        "exercise_days": rng.choices(range(8), weights=(18, 10, 14, 16, 12, 10, 6, 14))[0],
        "sleep_hours": round(min(10.0, max(4.0, rng.gauss(6.6 if old else 7.0, 1.0))) * 2) / 2,
        "smoking": smoking,
        "drinking": pick(
            ("never", "occasional", "regular", "daily"),
            (35, 40, 15, 10) if male else (75, 22, 2, 1),
        ),
        "stress_level": pick(("low", "moderate", "high"), (35, 45, 10 if old else 20)),
        "living_alone": r.living_alone,
        "has_caregiver": rng.random() < (0.55 if r.living_alone else 0.92),
        "self_management": pick(("willing", "unsure", "unwilling"), (65, 25, 10)),
    }
    return answers


# ---- devices and readings -----------------------------------------------------------------


def _weight(r: ResidentSpec, chronic: bool) -> float:
    if r.age >= 65:
        return 4.0 if chronic else 1.5
    if r.age >= 60:
        return 1.0 if chronic else 0.3
    return 0.0


def _pick_owners(wearers: list[int], wanted: int, preferred: set[int]) -> list[int]:
    """The first ``wanted`` wearers among ``preferred``, topped up with other wearers."""
    first = [i for i in wearers if i in preferred]
    rest = [i for i in wearers if i not in preferred]
    return (first + rest)[:wanted]


def _d(value: float, decimals: int = 0) -> str:
    return f"{value:.{decimals}f}"


class _Readings:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.out: list[ReadingSpec] = []

    def add(
        self, device: int, code: str, day: int, minute: int, value: str, value2: str = ""
    ) -> None:
        self.out.append(ReadingSpec(device, code, day, minute, value, value2))

    def wristband(self, device: int, r: ResidentSpec, pattern: str) -> None:
        rng = self.rng
        base_steps = max(1500.0, rng.gauss(5200 if r.age < 75 else 3600, 1200))
        base_hr = rng.uniform(60, 80)
        step_minute = 21 * 60 + rng.randrange(0, 90)
        hr_minute = 6 * 60 + rng.randrange(0, 60)
        spike = rng.randint(1, 6)  # the day of a heart-rate episode (within the last week)
        for day in range(READING_DAYS, 0, -1):
            steps = base_steps * math.exp(rng.gauss(0, 0.12))
            if pattern == "drop" and day <= 3:
                steps = base_steps * rng.uniform(0.15, 0.4)
            self.add(device, STEPS, day, step_minute, _d(steps))
            hr = min(96.0, max(54.0, base_hr + rng.gauss(0, 3)))
            if pattern == "hr_high" and day == spike:
                hr = rng.uniform(106, 125)
            elif pattern == "hr_low" and day == spike:
                hr = rng.uniform(42, 48)
            self.add(device, HEART_RATE, day, hr_minute + rng.randrange(0, 20), _d(hr))

    def bp(self, device: int, pattern: str) -> None:
        rng = self.rng
        minute = 7 * 60 + rng.randrange(0, 60)
        if pattern == "controlled":
            sys_mean, dia_mean, sd = rng.uniform(118, 127), rng.uniform(72, 79), 3.0
        else:
            sys_mean, dia_mean, sd = rng.uniform(140, 152), rng.uniform(86, 94), 5.0
        urgent_day = rng.randint(1, 5)
        for day in range(READING_DAYS, 0, -1):
            sys = sys_mean + rng.gauss(0, sd)
            dia = dia_mean + rng.gauss(0, sd * 0.6)
            if pattern == "controlled":
                sys, dia = min(sys, 133.0), min(dia, 83.0)
            elif pattern == "fluctuating":
                sys = min(sys + (22 if day % 2 else -20), 176.0)  # swings of about 40 mmHg
            elif pattern == "urgent" and day == urgent_day:
                sys, dia = rng.uniform(182, 196), rng.uniform(106, 116)
            dia = min(dia, sys - 25)
            self.add(device, BP, day, minute + rng.randrange(0, 15), _d(sys), _d(dia))

    def glucose(self, device: int, pattern: str) -> None:
        rng = self.rng
        minute = 6 * 60 + 30 + rng.randrange(0, 30)
        mean = rng.uniform(7.6, 9.2) if pattern == "high" else rng.uniform(5.4, 6.4)
        low_day = rng.randint(1, 5)
        for day in range(READING_DAYS, 0, -1):
            value = mean + rng.gauss(0, 0.4)
            if pattern != "high":
                value = min(6.9, max(4.2, value))
            if pattern == "low" and day == low_day:
                value = rng.uniform(3.2, 3.7)
            elif pattern == "critical_low" and day == low_day:
                value = rng.uniform(2.6, 2.9)
            self.add(device, GLUCOSE_FASTING, day, minute, _d(value, 1))

    def spo2(self, device: int, pattern: str) -> None:
        rng = self.rng
        minute = 9 * 60 + rng.randrange(0, 60)
        low_day = rng.randint(1, 5)
        for day in range(READING_DAYS, 0, -1):
            value = rng.choice((94, 95, 95, 96, 96, 97, 98))
            if pattern == "low" and day == low_day:
                value = rng.choice((86, 87, 88, 89))
            self.add(device, SPO2, day, minute, _d(value))


# ---- the whole ----------------------------------------------------------------------------


def generate_health(demo: DemoCommunity, seed: int) -> DemoHealth:
    """Conditions, medications, lifestyle answers, devices and readings for ``demo``."""
    rng = random.Random(f"careloop-demo-health:{seed}:{demo.n}")
    conditions: list[ConditionSpec] = []
    medications: list[MedicationSpec] = []
    lifestyle: list[LifestyleSpec] = []
    by_resident: list[list[str]] = []
    for i, r in enumerate(demo.residents):
        found = _conditions(r, rng)
        by_resident.append(found)
        for code in found:
            years = max(0, r.age - ADULT_AGE)
            onset = rng.randint(60, 365 * min(years, 25) + 60)
            conditions.append(ConditionSpec(i, code, onset))
            if code in MEDICINES and _treated(r, code, rng):
                name, dose, frequency = rng.choice(MEDICINES[code])
                start = rng.randint(30, onset)
                medications.append(
                    MedicationSpec(i, name, dose, frequency, _adherence(r, code, rng), start)
                )
        if r.age >= ADULT_AGE and rng.random() < LIFESTYLE_SHARE:
            answers = _lifestyle(r, found, rng)
            lifestyle.append(LifestyleSpec(i, tuple(answers.items()), rng.randint(1, 90)))

    # Wristbands: weighted sampling without replacement (Efraimidis–Spirakis keys).
    keyed = []
    for i, r in enumerate(demo.residents):
        weight = _weight(r, bool(by_resident[i]))
        if weight > 0:
            keyed.append((rng.random() ** (1 / weight), i))
    keyed.sort(reverse=True)
    wearers = [i for _key, i in keyed[: wristband_count(demo.n)]]
    has = {code: {i for i in wearers if code in by_resident[i]} for code in (HTN, DM, COPD)}
    w = len(wearers)

    def share(part: float) -> int:
        return max(1, round(w * part)) if w else 0

    devices: list[DeviceSpec] = []
    readings = _Readings(rng)
    for k, i in enumerate(wearers):
        pattern = WRISTBAND_PLAN[k % len(WRISTBAND_PLAN)]
        devices.append(DeviceSpec(i, WRISTBAND, f"DEMO-WB-{k + 1:05d}", pattern))
        readings.wristband(len(devices) - 1, demo.residents[i], pattern)
    extra = (
        (BP_MONITOR, "BP", BP_MONITOR_SHARE, HTN, BP_PLAN, readings.bp),
        (GLUCOMETER, "GM", GLUCOMETER_SHARE, DM, GLUCOSE_PLAN, readings.glucose),
        (OXIMETER, "OX", OXIMETER_SHARE, COPD, SPO2_PLAN, readings.spo2),
    )
    for kind, tag, part, condition, plan, make in extra:
        for k, i in enumerate(_pick_owners(wearers, share(part), has[condition])):
            pattern = plan[k % len(plan)]
            devices.append(DeviceSpec(i, kind, f"DEMO-{tag}-{k + 1:05d}", pattern))
            make(len(devices) - 1, pattern)
    return DemoHealth(
        tuple(conditions), tuple(medications), tuple(lifestyle), tuple(devices),
        tuple(readings.out),
    )  # fmt: skip
