"""Issue 6's acceptance: on the demo community every KPI of DOMAIN.md has a value and a
target, and the figures agree with an independent computation from the raw rows (plain
Python here; SQL aggregation in ``analytics.kpis``)."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest

from careloop.analytics.kpis import KPI_CODES, compute_kpis
from careloop.core import clock
from careloop.demands.models import Demand, Rating
from careloop.demo.loader import load
from careloop.observations import codes
from careloop.observations.models import Observation
from careloop.residents.models import ResidentCondition


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def share(hits: int, total: int) -> float:
    return round(100.0 * hits / total, 2)


def controlled_share(prefixes: tuple[str, ...], is_controlled) -> float:
    today = clock.today()
    ill = {
        c.resident_id
        for c in ResidentCondition.objects.select_related("condition")
        if c.condition.code.split(".")[0] in prefixes
        and (c.status == "active" or (c.resolved_on and c.resolved_on > today))
        and (c.onset_date is None or c.onset_date <= today)
    }
    latest: dict[int, Observation] = {}
    wanted = codes.BP if prefixes[0].startswith("I") else None
    readings = Observation.objects.filter(resident_id__in=ill, effective_at__lt=clock.now())
    readings = (
        readings.filter(code=wanted)
        if wanted
        else readings.filter(code__in=(codes.GLUCOSE_FASTING, codes.GLUCOSE_FASTING_LAB))
    )
    for reading in readings.order_by("effective_at", "id"):
        latest[reading.resident_id] = reading
    return share(sum(is_controlled(r) for r in latest.values()), len(ill))


@pytest.mark.django_db
def test_demo_kpis_agree_with_the_raw_rows():
    community = load(n=600, seed=11).community
    found = {k.code: k for k in compute_kpis(community=community)}
    assert set(found) == set(KPI_CODES)
    for kpi in found.values():
        assert kpi.value is not None, kpi.code
        assert kpi.target is not None, kpi.code
        assert kpi.status in ("green", "amber", "red")

    demands = list(Demand.objects.filter(resident__community=community))
    routine = [
        (d.accepted_at - d.created_at) / timedelta(hours=1)
        for d in demands
        if d.tier == "routine" and d.accepted_at
    ]
    urgent = [
        (d.accepted_at - d.created_at) / timedelta(minutes=1)
        for d in demands
        if d.tier == "urgent" and d.accepted_at
    ]
    counted = [d for d in demands if d.status != "withdrawn"]
    matched = [d for d in counted if d.scheduled_at and d.scheduled_at <= d.due_match_at]
    suggested = [d for d in demands if d.system_suggested]
    ratings = list(Rating.objects.filter(demand__resident__community=community))
    expected = {
        "response_time_median_h": round(percentile(routine, 0.5), 2),
        "response_time_p90_h": round(percentile(routine, 0.9), 2),
        "urgent_response_median_min": round(percentile(urgent, 0.5), 2),
        "match_success_rate": share(len(matched), len(counted)),
        "identification_accuracy": share(
            sum(d.resident_confirmed is True for d in suggested), len(suggested)
        ),
        "satisfaction_rate": share(sum(r.overall >= 4 for r in ratings), len(ratings)),
        "htn_control_rate": controlled_share(
            ("I10", "I11", "I12", "I13", "I14", "I15"),
            lambda r: r.value < 140 and r.value2 < 90,
        ),
        "dm_control_rate": controlled_share(
            ("E10", "E11", "E12", "E13", "E14"), lambda r: r.value < 7
        ),
    }
    assert statistics.median(routine) > 0
    for code, value in expected.items():
        assert found[code].value == pytest.approx(value, abs=0.011), code
