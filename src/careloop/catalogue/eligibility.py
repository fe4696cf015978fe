"""Who may receive a service or join a package: pure rules, no Django imports.

A rule set is an age range (whole years, both ends inclusive), an optional sex and a set of
tag codes that must all be present. Tags are plain codes ("diabetes", "postpartum",
"living_alone", "disability" …): the catalogue does not know where they come from; the
residents app (and later the health-profile issue) derives them into ``ResidentFacts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class ResidentFacts:
    """What eligibility needs to know about one resident, on one day."""

    age: int
    sex: str  # "M" or "F" (residents.models.Sex values)
    tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class EligibilityRules:
    min_age: int | None = None
    max_age: int | None = None
    sex: str = ""  # "" means any
    required_tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_open(self) -> bool:
        """True when everyone is eligible."""
        return (
            self.min_age is None
            and self.max_age is None
            and not self.sex
            and not self.required_tags
        )


class HasEligibility(Protocol):
    @property
    def eligibility(self) -> EligibilityRules: ...


def is_eligible(subject: HasEligibility | EligibilityRules, facts: ResidentFacts) -> bool:
    """True when ``facts`` satisfy the rules of ``subject`` (a Service, a Package, or rules)."""
    rules = subject if isinstance(subject, EligibilityRules) else subject.eligibility
    return not ineligibility_reasons(rules, facts)


def ineligibility_reasons(rules: EligibilityRules, facts: ResidentFacts) -> list[str]:
    """Machine codes of the rules ``facts`` fail, in a stable order (empty: eligible).

    Codes: ``too_young``, ``too_old``, ``sex``, ``tag:<code>`` for each missing tag.
    """
    reasons: list[str] = []
    if rules.min_age is not None and facts.age < rules.min_age:
        reasons.append("too_young")
    if rules.max_age is not None and facts.age > rules.max_age:
        reasons.append("too_old")
    if rules.sex and facts.sex != rules.sex:
        reasons.append("sex")
    reasons.extend(f"tag:{tag}" for tag in sorted(rules.required_tags - facts.tags))
    return reasons


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on ``on`` (a 29 February birthday counts on 1 March)."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)
