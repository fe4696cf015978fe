"""Alert rule evaluation on plain values: no Django, no database (an import-linter contract
keeps it so). ``services.alerts`` feeds it the new readings of one resident and the history
the rule needs, and turns a ``Finding`` into an alert.

Three kinds of rule, each with JSON ``parameters`` (the shipped defaults are in the data
migration ``0002_default_alert_rules``):

threshold
    ``{"codes": [...], "tiers": [{"severity": "urgent", "codes": [...]?, "sources": [...]?,
    "any": [["systolic", ">=", 180], ["diastolic", ">=", 110]]}, ...]}``. A new reading
    matches a tier when its code and source are among the tier's (when the tier names them)
    and any one condition holds. The worst severity among matching tiers wins.
fluctuation
    ``{"codes": [...], "field": "systolic", "window_days": 7, "sd_ge": 15, "min_readings": 3,
    "swing_ge": 30}``. Over the readings of the last ``window_days`` ending at the newest new
    reading: the sample standard deviation of ``field`` is at least ``sd_ge`` (with at least
    ``min_readings`` readings), or the mean of the newest reading's day differs from the
    previous calendar day's mean by at least ``swing_ge``.
trend
    ``{"codes": [...], "baseline_days": 14, "ratio_lt": 0.5, "consecutive_days": 3,
    "min_baseline_days": 7}``. Daily totals (largest reading of a local day): each of the
    ``consecutive_days`` days ending on the newest new reading's day is below ``ratio_lt`` ×
    the median of the ``baseline_days`` days before them (at least ``min_baseline_days`` of
    which have data). A day without data breaks the run: an unworn wristband is not a drop.

Conditions name a field: ``value`` (or ``systolic``) is the first value, ``value2`` (or
``diastolic``) the second.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeGuard

THRESHOLD = "threshold"
FLUCTUATION = "fluctuation"
TREND = "trend"
KINDS = (THRESHOLD, FLUCTUATION, TREND)

ROUTINE = "routine"
URGENT = "urgent"
CRITICAL = "critical"
SEVERITY_RANK = {ROUTINE: 1, URGENT: 2, CRITICAL: 3}

FIELDS = {"value": 0, "systolic": 0, "value2": 1, "diastolic": 1}
SOURCES = ("device", "manual", "clinic")
OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


@dataclass(frozen=True, slots=True)
class Reading:
    code: str
    value: float
    value2: float | None
    effective_at: datetime
    day: date  # the local calendar day of effective_at
    source: str
    ref: Any = None  # the caller's handle, e.g. an Observation primary key

    def get(self, name: str) -> float | None:
        return self.value if FIELDS[name] == 0 else self.value2


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    kind: str
    severity: str
    parameters: Mapping[str, Any]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.parameters.get("codes", ()))

    @property
    def history_days(self) -> int:
        """Days of stored readings before the newest new one that evaluation needs."""
        if self.kind == FLUCTUATION:
            return int(self.parameters["window_days"]) + 1
        if self.kind == TREND:
            p = self.parameters
            return int(p["baseline_days"]) + int(p["consecutive_days"]) + 1
        return 0


@dataclass(frozen=True)
class Finding:
    rule_code: str
    severity: str
    readings: tuple[Reading, ...]  # the new readings that qualify, oldest first
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def latest(self) -> Reading:
        return self.readings[-1]


def worse(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def evaluate(rule: Rule, new: Sequence[Reading], history: Iterable[Reading] = ()) -> Finding | None:
    """What ``rule`` finds in ``new`` readings of one resident. ``history`` holds that
    resident's stored readings of the rule's codes over ``rule.history_days`` (it may include
    the new readings; duplicates by ``ref`` are ignored)."""
    mine = sorted((r for r in new if r.code in rule.codes), key=lambda r: r.effective_at)
    if not mine:
        return None
    if rule.kind == THRESHOLD:
        return _threshold(rule, mine)
    merged = _merge(history, mine, rule.codes)
    if rule.kind == FLUCTUATION:
        return _fluctuation(rule, mine, merged)
    if rule.kind == TREND:
        return _trend(rule, mine, merged)
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def _merge(history: Iterable[Reading], new: list[Reading], codes: frozenset[str]) -> list[Reading]:
    seen: set[Any] = set()
    merged: list[Reading] = []
    for reading in (*new, *history):
        if reading.code not in codes:
            continue
        if reading.ref is not None:
            if reading.ref in seen:
                continue
            seen.add(reading.ref)
        merged.append(reading)
    merged.sort(key=lambda r: r.effective_at)
    return merged


def tier_severity(rule: Rule, reading: Reading) -> str | None:
    """The worst severity of the tiers ``reading`` matches, or None."""
    found: str | None = None
    for tier in rule.parameters["tiers"]:
        if "codes" in tier and reading.code not in tier["codes"]:
            continue
        if "sources" in tier and reading.source not in tier["sources"]:
            continue
        for name, op, limit in tier["any"]:
            actual = reading.get(name)
            if actual is not None and OPS[op](actual, float(limit)):
                found = tier["severity"] if found is None else worse(found, tier["severity"])
                break
    return found


def _threshold(rule: Rule, new: list[Reading]) -> Finding | None:
    severity: str | None = None
    hits: list[Reading] = []
    for reading in new:
        level = tier_severity(rule, reading)
        if level is not None:
            hits.append(reading)
            severity = level if severity is None else worse(severity, level)
    if severity is None:
        return None
    return Finding(rule.code, severity, tuple(hits))


def _fluctuation(rule: Rule, new: list[Reading], merged: list[Reading]) -> Finding | None:
    p = rule.parameters
    name = p.get("field", "value")
    anchor = new[-1]
    start = anchor.effective_at - timedelta(days=int(p["window_days"]))
    window = [
        v
        for r in merged
        if start < r.effective_at <= anchor.effective_at and (v := r.get(name)) is not None
    ]
    detail: dict[str, Any] = {}
    sd_ge = p.get("sd_ge")
    if sd_ge is not None and len(window) >= max(int(p.get("min_readings", 3)), 2):
        sd = statistics.stdev(window)
        if sd >= float(sd_ge):
            detail["sd"] = round(sd, 1)
            detail["n"] = len(window)
    swing_ge = p.get("swing_ge")
    if swing_ge is not None:
        by_day: dict[date, list[float]] = {}
        for r in merged:
            if start < r.effective_at <= anchor.effective_at and (v := r.get(name)) is not None:
                by_day.setdefault(r.day, []).append(v)
        today = by_day.get(anchor.day)
        yesterday = by_day.get(anchor.day - timedelta(days=1))
        if today and yesterday:
            swing = abs(statistics.fmean(today) - statistics.fmean(yesterday))
            if swing >= float(swing_ge):
                detail["swing"] = round(swing, 1)
    if not detail:
        return None
    return Finding(rule.code, rule.severity, tuple(new), detail)


def daily_totals(readings: Iterable[Reading]) -> dict[date, float]:
    """The largest reading of each local day (daily counters are cumulative)."""
    totals: dict[date, float] = {}
    for r in readings:
        if r.value > totals.get(r.day, -math.inf):
            totals[r.day] = r.value
    return totals


def _trend(rule: Rule, new: list[Reading], merged: list[Reading]) -> Finding | None:
    p = rule.parameters
    run_days = int(p["consecutive_days"])
    baseline_days = int(p["baseline_days"])
    totals = daily_totals(merged)
    last_day = max(r.day for r in new)
    run = [last_day - timedelta(days=i) for i in range(run_days - 1, -1, -1)]
    first = run[0]
    baseline = [
        totals[d] for i in range(1, baseline_days + 1) if (d := first - timedelta(days=i)) in totals
    ]
    if len(baseline) < int(p.get("min_baseline_days", 7)):
        return None
    median = statistics.median(baseline)
    if median <= 0:
        return None
    limit = float(p["ratio_lt"]) * median
    if not all(day in totals and totals[day] < limit for day in run):
        return None
    detail = {
        "median": round(median),
        "days": [totals[d] for d in run],
        "ratio": round(max(totals[d] for d in run) / median, 2),
    }
    return Finding(rule.code, rule.severity, tuple(new), detail)


def summary(finding: Finding, fmt: Any) -> str:
    """A language-neutral one-liner of what triggered: ``fmt(code, value, value2)`` formats a
    reading (``codes.format_value``)."""
    latest = finding.latest
    text = fmt(latest.code, latest.value, latest.value2)
    d = finding.detail
    extras = []
    if "sd" in d:
        extras.append(f"SD {d['sd']}")
    if "swing" in d:
        extras.append(f"Δ {d['swing']}")
    if "median" in d:
        extras.append(f"median {d['median']}")
    return f"{text} ({', '.join(extras)})" if extras else text


# ---- checking edited parameters -----------------------------------------------------------


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate(kind: str, severity: str, parameters: Any) -> list[str]:
    """Problems with a rule definition (empty when valid); plain technical English."""
    problems: list[str] = []
    if kind not in KINDS:
        return [f"kind must be one of {', '.join(KINDS)}"]
    if severity not in SEVERITY_RANK:
        problems.append(f"severity must be one of {', '.join(SEVERITY_RANK)}")
    if not isinstance(parameters, Mapping):
        return [*problems, "parameters must be an object"]
    codes = parameters.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        problems.append("codes must be a non-empty list of LOINC codes")
    if kind == THRESHOLD:
        problems += _validate_tiers(parameters.get("tiers"))
    elif kind == FLUCTUATION:
        if parameters.get("field", "value") not in FIELDS:
            problems.append(f"field must be one of {', '.join(FIELDS)}")
        for key in ("window_days",):
            if not isinstance(parameters.get(key), int) or parameters[key] < 1:
                problems.append(f"{key} must be a whole number ≥ 1")
        if parameters.get("sd_ge") is None and parameters.get("swing_ge") is None:
            problems.append("give sd_ge, swing_ge or both")
        for key in ("sd_ge", "swing_ge"):
            if key in parameters and not (_number(parameters[key]) and parameters[key] > 0):
                problems.append(f"{key} must be a positive number")
    else:
        for key in ("baseline_days", "consecutive_days", "min_baseline_days"):
            if not isinstance(parameters.get(key), int) or parameters[key] < 1:
                problems.append(f"{key} must be a whole number ≥ 1")
        ratio = parameters.get("ratio_lt")
        if not (_number(ratio) and 0 < ratio < 1):
            problems.append("ratio_lt must be a number between 0 and 1")
    return problems


def _validate_tiers(tiers: Any) -> list[str]:
    if not isinstance(tiers, list) or not tiers:
        return ["tiers must be a non-empty list"]
    problems: list[str] = []
    for i, tier in enumerate(tiers):
        where = f"tiers[{i}]"
        if not isinstance(tier, Mapping):
            problems.append(f"{where} must be an object")
            continue
        if tier.get("severity") not in SEVERITY_RANK:
            problems.append(f"{where}.severity must be one of {', '.join(SEVERITY_RANK)}")
        if "sources" in tier and not (
            isinstance(tier["sources"], list) and set(tier["sources"]) <= set(SOURCES)
        ):
            problems.append(f"{where}.sources must list some of {', '.join(SOURCES)}")
        if "codes" in tier and not isinstance(tier["codes"], list):
            problems.append(f"{where}.codes must be a list")
        conditions = tier.get("any")
        if not isinstance(conditions, list) or not conditions:
            problems.append(f"{where}.any must be a non-empty list of [field, op, limit]")
            continue
        for j, cond in enumerate(conditions):
            if not (
                isinstance(cond, list | tuple)
                and len(cond) == 3
                and cond[0] in FIELDS
                and cond[1] in OPS
                and _number(cond[2])
            ):
                problems.append(f"{where}.any[{j}] must be [field, op, number]")
    return problems
