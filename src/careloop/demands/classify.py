"""Classifying a demand: SLA tier, priority quadrant and deadlines. Pure rules, no Django.

- **Tier** (DOMAIN.md service-level tiers): the highest of the caller's hint (an alert's
  severity, the service) and what the description says. Critical: cardiac arrest, chest pain,
  stroke signs (FAST: a drooping mouth, slurred speech, weakness of one side), blood glucose
  below 3.0 mmol/L. Urgent: acute or severe pain, high fever, glucose below 3.9 mmol/L.
  Words can raise a tier, never lower it.
- **Quadrant** (002 §2.2.3): Q1 urgent and important, Q2 important not urgent, Q3 urgent not
  important, Q4 neither. Urgent and critical demands are urgent and important; a routine
  demand is important unless its service is of the "development" tier (002 §3.1).
- **Deadlines**: routine: respond within 24 h, matched within 3 working days (mainland China
  holiday calendar: a public holiday is a day off, an adjusted working day is a working day);
  urgent: respond within 30 min, served within 1 h; critical: both at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from careloop.catalogue.workdays import HOLIDAY, WORKDAY

ROUTINE, URGENT, CRITICAL = "routine", "urgent", "critical"
TIER_RANK = {ROUTINE: 1, URGENT: 2, CRITICAL: 3}
# Tier → FHIR Task.priority.
FHIR_PRIORITY = {ROUTINE: "routine", URGENT: "urgent", CRITICAL: "stat"}
Q1, Q2, Q3, Q4 = "Q1", "Q2", "Q3", "Q4"

ROUTINE_RESPOND = timedelta(hours=24)
ROUTINE_MATCH_WORKING_DAYS = 3
URGENT_RESPOND = timedelta(minutes=30)
URGENT_SERVE = timedelta(hours=1)

CRITICAL_WORDS = (
    "心脏骤停", "心跳骤停", "cardiac arrest", "胸痛", "chest pain",
    "口角歪斜", "言语不清", "一侧肢体无力", "stroke", "卒中", "中风", "意识丧失",
    "unconscious",
)  # fmt: skip
URGENT_WORDS = (
    "急性疼痛", "剧痛", "剧烈疼痛", "acute pain", "severe pain",
    "高烧", "高热", "high fever",
)  # fmt: skip
GLUCOSE = re.compile(r"(?:血糖|glucose)\D{0,12}?(\d+(?:\.\d+)?)", re.IGNORECASE)
GLUCOSE_CRITICAL = 3.0
GLUCOSE_URGENT = 3.9


@dataclass(frozen=True)
class Classification:
    tier: str
    urgent: bool
    important: bool
    quadrant: str
    reasons: tuple[str, ...]


def higher(a: str, b: str) -> str:
    return a if TIER_RANK[a] >= TIER_RANK[b] else b


def tier_from_words(description: str) -> tuple[str, tuple[str, ...]]:
    """The tier the description alone calls for, and the words that decided it."""
    text = (description or "").lower()
    reasons: list[str] = []
    tier = ROUTINE
    for match in GLUCOSE.finditer(text):
        value = float(match.group(1))
        if value < GLUCOSE_CRITICAL:
            tier = CRITICAL
            reasons.append(f"glucose {value:g}")
        elif value < GLUCOSE_URGENT:
            tier = higher(tier, URGENT)
            reasons.append(f"glucose {value:g}")
    for word in CRITICAL_WORDS:
        if word in text:
            tier = CRITICAL
            reasons.append(word)
    for word in URGENT_WORDS:
        if word in text:
            tier = higher(tier, URGENT)
            reasons.append(word)
    return tier, tuple(reasons)


def quadrant(*, urgent: bool, important: bool) -> str:
    if urgent:
        return Q1 if important else Q3
    return Q2 if important else Q4


def classify(
    *,
    description: str = "",
    tier_hint: str | None = None,
    service_tier: str | None = None,
    important: bool | None = None,
) -> Classification:
    """Tier and quadrant of a demand. ``tier_hint`` is routine/urgent/critical (an alert's
    severity); ``service_tier`` the catalogue tier of the service asked for (basic,
    maintenance, development); ``important`` overrides the derived importance."""
    if tier_hint is not None and tier_hint not in TIER_RANK:
        raise ValueError(f"unknown tier {tier_hint!r}")
    word_tier, reasons = tier_from_words(description)
    tier = higher(tier_hint or ROUTINE, word_tier)
    urgent = tier != ROUTINE
    if important is None:
        important = urgent or service_tier != "development"
    return Classification(
        tier=tier,
        urgent=urgent,
        important=important,
        quadrant=quadrant(urgent=urgent, important=important),
        reasons=reasons,
    )


def is_working_day(day: date, holidays: Mapping[date, str]) -> bool:
    """``holidays`` maps a date to its kind (``HOLIDAY`` or ``WORKDAY``)."""
    kind = holidays.get(day)
    if kind == HOLIDAY:
        return False
    if kind == WORKDAY:
        return True
    return day.weekday() < 5


def add_working_days(start: datetime, days: int, holidays: Mapping[date, str]) -> datetime:
    """The same wall-clock time ``days`` working days after ``start``'s date (``start`` in
    local time). Filed on Friday 10:00 with no holidays: due Wednesday 10:00."""
    day = start.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return start + timedelta(days=(day - start.date()).days)


def deadlines(
    tier: str, filed_at: datetime, holidays: Mapping[date, str]
) -> tuple[datetime, datetime]:
    """(due_respond_at, due_match_at) for a demand of ``tier`` filed at ``filed_at`` (aware,
    local time: working days are counted on the local calendar)."""
    if tier == CRITICAL:
        return filed_at, filed_at
    if tier == URGENT:
        return filed_at + URGENT_RESPOND, filed_at + URGENT_SERVE
    match_at = add_working_days(filed_at, ROUTINE_MATCH_WORKING_DAYS, holidays)
    return filed_at + ROUTINE_RESPOND, match_at


def holiday_window(filed_at: datetime) -> tuple[date, date]:
    """The dates whose holiday rows ``deadlines`` may need (Golden Week is at most 8 days)."""
    return filed_at.date(), filed_at.date() + timedelta(days=30)
