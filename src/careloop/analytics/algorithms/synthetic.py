"""Deterministic synthetic population and demands, for tests and benchmarks (no Django).

The population plants the five segments of the pilot (DOMAIN.md, seed 002 §6) in their
shares, so segmentation can be checked against ``true_segment``. Demands plant known
associations (diabetes → diabetic foot care with confidence 0.89, parents of pre-school
children → vision screening 0.72, hypertension → BP monitoring 0.45) and per-service weekly
seasons with a yearly growth (flu vaccine enquiries peak in late October).

Everything is vectorised over numpy arrays and seeded with one ``numpy.random.Generator``:
the same ``(n, seed)`` gives the same frames, and 1,000,000 residents take a few seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

WEEKS_PER_YEAR = 52


@dataclass(frozen=True)
class PlantedSegment:
    """One planted segment: its share of the population and how its features are drawn.

    Numeric features are ``(mean, sd)`` normal draws (age also clipped to its range, steps,
    BMI and sleep to plausible bounds); flags are the probability that the flag is set.
    Flags other than a segment's defining ones are kept rare on purpose, so the segments are
    crisper than real life and a test can demand they be found.
    """

    share: float
    name_zh: str
    name_en: str
    age: tuple[float, float, float, float]  # mean, sd, youngest, oldest
    female: float
    htn: float
    dm: float
    living_alone: float
    preschool_parent: float
    rehab: float
    steps: tuple[float, float]
    bmi: tuple[float, float]
    sleep_hours: tuple[float, float]
    occupation: str


# The five segments of the pilot (DOMAIN.md); shares sum to 1.
SEGMENTS: dict[str, PlantedSegment] = {
    "htn_dm_elders": PlantedSegment(
        0.18, "高血压合并糖尿病老人", "Elders with hypertension and diabetes",
        age=(72, 6, 60, 95), female=0.5, htn=1.0, dm=1.0, living_alone=0.05,
        preschool_parent=0.0, rehab=0.02, steps=(4000, 1200), bmi=(26.5, 3.0),
        sleep_hours=(7.0, 1.0), occupation="retired",
    ),
    "elders_alone": PlantedSegment(
        0.12, "独居老人", "Elders living alone",
        age=(79, 6, 65, 100), female=0.65, htn=0.2, dm=0.05, living_alone=1.0,
        preschool_parent=0.0, rehab=0.03, steps=(3000, 1000), bmi=(23.0, 3.0),
        sleep_hours=(6.5, 1.0), occupation="retired",
    ),
    "young_families": PlantedSegment(
        0.25, "双职工学龄前儿童家庭", "Dual-earner families with pre-school children",
        age=(35, 4, 22, 48), female=0.5, htn=0.03, dm=0.01, living_alone=0.0,
        preschool_parent=1.0, rehab=0.01, steps=(8500, 1500), bmi=(22.5, 2.0),
        sleep_hours=(7.2, 0.8), occupation="employed",
    ),
    "subhealthy_young": PlantedSegment(
        0.30, "亚健康青年白领", "Sub-healthy young professionals",
        age=(27, 3, 20, 40), female=0.5, htn=0.03, dm=0.01, living_alone=0.05,
        preschool_parent=0.0, rehab=0.01, steps=(3800, 1200), bmi=(26.0, 3.0),
        sleep_hours=(5.5, 0.7), occupation="office",
    ),
    "chronic_rehab": PlantedSegment(
        0.15, "慢病康复人群", "Chronic-disease rehabilitation",
        age=(57, 8, 35, 80), female=0.45, htn=0.2, dm=0.05, living_alone=0.05,
        preschool_parent=0.0, rehab=1.0, steps=(2500, 1000), bmi=(25.0, 3.0),
        sleep_hours=(7.0, 1.0), occupation="unemployed",
    ),
}  # fmt: skip

# The features the segmentation is meant to use (``sex`` and ``occupation`` are for tables).
SEGMENT_FEATURES = (
    "age", "htn", "dm", "living_alone", "children_under_6", "rehab", "steps", "bmi",
    "sleep_hours",
)  # fmt: skip


@dataclass(frozen=True)
class PlantedService:
    """A demanded service: yearly probability ``p`` for residents with ``when`` (a flag
    column of the population, or "" for everyone) and ``p_else`` for the rest; each resident
    who demands it files ``1 + Poisson(repeat)`` requests in that year, spread over the
    weeks by a season peaking at ``peak_week`` (``sharpness`` 0 = flat) and growing by
    ``growth`` a year."""

    when: str
    p: float
    p_else: float
    repeat: float
    peak_week: int
    sharpness: float
    growth: float


SERVICES: dict[str, PlantedService] = {
    # name: (when, p, p_else, repeat, peak_week, sharpness, growth)
    # the planted rule: cond:diabetes → svc:diabetic_foot_care, confidence 0.89
    "diabetic_foot_care": PlantedService("dm", 0.89, 0.01, 0.3, 20, 0.3, 0.05),
    "diabetes_management": PlantedService("dm", 0.60, 0.0, 2.0, 10, 0.2, 0.08),
    # below a 0.5 confidence threshold on purpose
    "bp_monitoring": PlantedService("htn", 0.45, 0.03, 2.0, 2, 0.5, 0.06),
    "child_vision_screening": PlantedService("preschool_parent", 0.72, 0.005, 0.0, 36, 2.0, 0.04),
    "child_checkup": PlantedService("preschool_parent", 0.80, 0.0, 0.5, 30, 0.5, 0.03),
    "flu_vaccine": PlantedService("elderly", 0.35, 0.10, 0.2, 43, 4.0, 0.12),
    "living_alone_visit": PlantedService("elderly_alone", 0.70, 0.0, 3.0, 4, 0.3, 0.10),
    "medicine_delivery": PlantedService("oldest", 0.20, 0.02, 2.0, 3, 0.5, 0.15),
    "rehab_training": PlantedService("rehab", 0.85, 0.01, 4.0, 16, 0.2, 0.07),
    "home_nursing": PlantedService("rehab", 0.20, 0.02, 1.0, 6, 0.3, 0.05),
    "psych_counselling": PlantedService("short_sleep", 0.15, 0.03, 1.0, 46, 0.5, 0.20),
    "exercise_prescription": PlantedService("sedentary", 0.12, 0.03, 0.5, 14, 1.0, 0.10),
    "common_illness": PlantedService("", 0.50, 0.0, 0.5, 2, 1.0, 0.02),
}


def generate_population(n: int, *, seed: int = 2026) -> pd.DataFrame:
    """``n`` residents with the features of ``SEGMENT_FEATURES`` plus ``sex`` ("F"/"M"),
    ``occupation`` and ``true_segment`` (categoricals). Flags are booleans;
    ``children_under_6`` counts pre-school children at home (0–2)."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    rng = np.random.default_rng(seed)
    names = list(SEGMENTS)
    specs = [SEGMENTS[name] for name in names]
    seg = rng.choice(len(names), size=n, p=[s.share for s in specs]).astype(np.int8)

    def per_segment(values: list[float]) -> np.ndarray:
        return np.asarray(values, dtype=np.float32)[seg]

    def flag(probabilities: list[float]) -> np.ndarray:
        return rng.random(n, dtype=np.float32) < per_segment(probabilities)

    def normal(params: Sequence[tuple[float, ...]], low: Any, high: Any) -> np.ndarray:
        mean = per_segment([p[0] for p in params])
        sd = per_segment([p[1] for p in params])
        return np.clip(mean + sd * rng.standard_normal(n, dtype=np.float32), low, high)

    ages = [s.age for s in specs]
    age = normal(ages, per_segment([a[2] for a in ages]), per_segment([a[3] for a in ages]))
    occupations = sorted({s.occupation for s in specs})
    occupation = np.asarray([occupations.index(s.occupation) for s in specs], np.int8)[seg]
    parent = flag([s.preschool_parent for s in specs])
    children = np.where(parent, 1 + (rng.random(n, dtype=np.float32) < 0.25), 0).astype(np.int8)
    return pd.DataFrame(
        {
            "age": np.floor(age).astype(np.int16),
            "sex": pd.Categorical.from_codes(
                (~flag([s.female for s in specs])).astype(np.int8), categories=pd.Index(["F", "M"])
            ),
            "occupation": pd.Categorical.from_codes(occupation, categories=pd.Index(occupations)),
            "htn": flag([s.htn for s in specs]),
            "dm": flag([s.dm for s in specs]),
            "living_alone": flag([s.living_alone for s in specs]),
            "children_under_6": children,
            "rehab": flag([s.rehab for s in specs]),
            "steps": np.round(normal([s.steps for s in specs], 0, 30_000)).astype(np.int32),
            "bmi": np.round(normal([s.bmi for s in specs], 15, 45), 1),
            "sleep_hours": np.round(normal([s.sleep_hours for s in specs], 3, 11), 1),
            "true_segment": pd.Categorical.from_codes(seg, categories=pd.Index(names)),
        }
    )


def resident_flags(population: pd.DataFrame) -> dict[str, np.ndarray]:
    """The condition and tag flags the planted services depend on (boolean arrays)."""
    age = population["age"].to_numpy()
    return {
        "dm": population["dm"].to_numpy(bool),
        "htn": population["htn"].to_numpy(bool),
        "rehab": population["rehab"].to_numpy(bool),
        "living_alone": population["living_alone"].to_numpy(bool),
        "preschool_parent": population["children_under_6"].to_numpy() > 0,
        "elderly": age >= 65,
        "oldest": age >= 80,
        "elderly_alone": (age >= 65) & population["living_alone"].to_numpy(bool),
        "short_sleep": population["sleep_hours"].to_numpy() < 6,
        "sedentary": population["steps"].to_numpy() < 5000,
    }


def generate_demands(
    population: pd.DataFrame, *, weeks: int = WEEKS_PER_YEAR, seed: int = 2026
) -> pd.DataFrame:
    """Demand events over ``weeks`` weeks (week 0 is the oldest): one row per request with
    ``resident`` (row position in ``population``), ``service`` (categorical of
    ``SERVICES``) and ``week``. Whether a resident demands a service is drawn afresh for each
    year, counted back from the last week (the oldest year may be partial), so the planted
    confidences hold over the last 52 weeks."""
    if weeks <= 0:
        raise ValueError(f"weeks must be positive, got {weeks}")
    rng = np.random.default_rng(seed)
    flags = resident_flags(population)
    n = len(population)
    names = list(SERVICES)
    bounds = [*sorted({0, *range(weeks % WEEKS_PER_YEAR, weeks, WEEKS_PER_YEAR)}), weeks]
    residents, services, event_weeks = [], [], []
    for start, end in pairwise(bounds):
        part = (end - start) / WEEKS_PER_YEAR  # of a year: a partial year has fewer demands
        for code, name in enumerate(names):
            planted = SERVICES[name]
            chance = np.full(n, planted.p * part, dtype=np.float32)
            if planted.when:
                chance = np.where(flags[planted.when], planted.p, planted.p_else) * part
            who = np.flatnonzero(rng.random(n, dtype=np.float32) < chance)
            repeat = planted.repeat * (1 + planted.growth) ** (start / WEEKS_PER_YEAR)
            count = 1 + rng.poisson(repeat, size=len(who))
            weight = _season(planted, np.arange(start, end))
            offsets = rng.choice(end - start, size=int(count.sum()), p=weight / weight.sum())
            residents.append(np.repeat(who.astype(np.int32), count))
            event_weeks.append((start + offsets).astype(np.int16))
            services.append(np.full(int(count.sum()), code, dtype=np.int8))
    return pd.DataFrame(
        {
            "resident": np.concatenate(residents),
            "service": pd.Categorical.from_codes(
                np.concatenate(services), categories=pd.Index(names)
            ),
            "week": np.concatenate(event_weeks),
        }
    )


def _season(service: PlantedService, weeks: np.ndarray) -> np.ndarray:
    """Relative weight of each absolute week: a von Mises bump around the peak week of the
    year times the yearly growth."""
    angle = 2 * np.pi * ((weeks % WEEKS_PER_YEAR) - service.peak_week) / WEEKS_PER_YEAR
    bump = np.exp(service.sharpness * (np.cos(angle) - 1))
    return bump * (1 + service.growth) ** (weeks / WEEKS_PER_YEAR)


def transactions(
    population: pd.DataFrame, demands: pd.DataFrame, *, since_week: int = 0
) -> pd.DataFrame:
    """One boolean row per resident (a "transaction" for association rules) with items
    ``cond:hypertension``, ``cond:diabetes``, ``tag:…`` and ``svc:<service>`` for every
    service demanded from ``since_week`` on."""
    flags = resident_flags(population)
    items: dict[str, np.ndarray] = {
        "cond:hypertension": flags["htn"],
        "cond:diabetes": flags["dm"],
        "tag:rehabilitation": flags["rehab"],
        "tag:living_alone": flags["living_alone"],
        "tag:preschool_parent": flags["preschool_parent"],
        "tag:elderly": flags["elderly"],
        "tag:short_sleep": flags["short_sleep"],
        "tag:sedentary": flags["sedentary"],
    }
    recent = demands[demands["week"] >= since_week]
    names = list(demands["service"].cat.categories)
    demanded = np.zeros((len(population), len(names)), dtype=bool)
    demanded[recent["resident"].to_numpy(), recent["service"].cat.codes.to_numpy()] = True
    for column, name in enumerate(names):
        items[f"svc:{name}"] = demanded[:, column]
    return pd.DataFrame(items)


def weekly_counts(demands: pd.DataFrame, *, weeks: int) -> pd.DataFrame:
    """Requests per week (rows ``0..weeks-1``) and service (columns), as integers."""
    names = list(demands["service"].cat.categories)
    codes = demands["service"].cat.codes.to_numpy().astype(np.int64)
    flat = np.bincount(codes * weeks + demands["week"].to_numpy(), minlength=len(names) * weeks)
    return pd.DataFrame(flat.reshape(len(names), weeks).T, columns=names)


def seasonal_series(
    weeks: int,
    *,
    level: float = 100.0,
    amplitude: float = 1.0,
    peak_week: int = 43,
    sharpness: float = 3.0,
    growth: float = 0.10,
    noise: float = 0.05,
    start: str = "2023-01-02",
    seed: int = 2026,
) -> pd.Series:
    """A weekly count series (Monday-dated index from ``start``) with a yearly bump of
    relative height ``amplitude`` at ``peak_week``, a compound ``growth`` a year and
    multiplicative normal noise of relative size ``noise``: the shape of flu vaccine
    enquiries."""
    if weeks <= 0:
        raise ValueError(f"weeks must be positive, got {weeks}")
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    angle = 2 * np.pi * ((t % WEEKS_PER_YEAR) - peak_week) / WEEKS_PER_YEAR
    mean = level * (1 + growth) ** (t / WEEKS_PER_YEAR)
    mean *= 1 + amplitude * np.exp(sharpness * (np.cos(angle) - 1))
    values = np.round(mean * (1 + noise * rng.standard_normal(weeks))).clip(0)
    index = pd.date_range(start, periods=weeks, freq="W-MON")
    return pd.Series(values, index=index, name="requests")
