"""Clinic measurements of the demo's chronic patients: one blood pressure (hypertension) or
fasting glucose (diabetes) taken at the follow-up visit about a year ago and one in the last
three months, so the control-rate KPIs have a value and a target (last year's rate + 5
points, DOMAIN.md). The shares controlled follow the national surveys' order of magnitude and
improve over the year: hypertension 40 % → 46 %, diabetes 33 % → 39 %.

Deterministic per seed; written in bulk (no alert rules: clinic follow-up readings of known
patients, not home measurements).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from careloop.core import clock
from careloop.core.models import Community
from careloop.demo.bulk import bulk_create
from careloop.observations import codes
from careloop.observations.models import Observation, Source
from careloop.residents.models import ResidentCondition

HTN = ("I10", "I11", "I12", "I13", "I14", "I15")
DM = ("E10", "E11", "E12", "E13", "E14")
CONTROLLED = {  # (a year ago, now)
    "htn": (0.40, 0.46),
    "dm": (0.33, 0.39),
}


def _patients(community: Community) -> dict[str, list[int]]:
    found: dict[str, set[int]] = {"htn": set(), "dm": set()}
    rows = ResidentCondition.objects.filter(
        resident__community=community, status="active"
    ).values_list("resident_id", "condition__code")
    for resident_id, code in rows:
        family = code.split(".")[0]
        if family in HTN:
            found["htn"].add(resident_id)
        elif family in DM:
            found["dm"].add(resident_id)
    return {kind: sorted(ids) for kind, ids in found.items()}


def _reading(rng: random.Random, kind: str, controlled: bool) -> tuple[Decimal, Decimal | None]:
    if kind == "htn":
        if controlled:
            return Decimal(rng.randint(112, 138)), Decimal(rng.randint(66, 88))
        return Decimal(rng.randint(141, 172)), Decimal(rng.randint(80, 104))
    value = rng.uniform(5.0, 6.9) if controlled else rng.uniform(7.1, 11.5)
    return Decimal(f"{value:.1f}"), None


def write_clinic_readings(seed: int, community: Community) -> int:
    rng = random.Random(f"careloop-demo/{seed}/clinic-readings")
    tz = timezone.get_current_timezone()
    today = clock.today()
    now = clock.now()
    readings = []
    for kind, residents in _patients(community).items():
        code = codes.BP if kind == "htn" else codes.GLUCOSE_FASTING_LAB
        for resident_id in residents:
            for when, share in zip(
                (rng.randint(370, 400), rng.randint(3, 90)), CONTROLLED[kind], strict=True
            ):
                value, value2 = _reading(rng, kind, rng.random() < share)
                day = today - timedelta(days=when)
                at = datetime.combine(day, time(8, rng.randint(0, 59)), tzinfo=tz)
                readings.append(
                    Observation(
                        resident_id=resident_id,
                        code=code,
                        value=value,
                        value2=value2,
                        effective_at=at,
                        source=Source.CLINIC,
                        identifier=f"demo-clinic-{kind}-{day.isoformat()}",
                        created_at=now,
                    )
                )
    bulk_create(Observation, readings)
    return len(readings)
