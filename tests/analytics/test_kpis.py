"""KPIs against an independent computation from the raw rows.

A small hand-made community: demands with controlled filing, acceptance and scheduling times
over January–March 2026 (Shanghai time), ratings, conditions and readings. The expected
values are computed here in plain Python from the same list of rows (``statistics`` for the
percentiles), and compared with ``compute_kpis`` / ``kpi_trend`` for the whole community,
each team, each service and each month, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models.functions import TruncMonth

from careloop.analytics import kpis
from careloop.analytics.kpis import KPI_CODES, compute_kpis, kpi_trend, status_for
from careloop.analytics.percentiles import percentiles, seconds_between, window_percentiles
from careloop.catalogue.models import Service
from careloop.core import clock
from careloop.demands.models import Demand, Rating
from careloop.observations import codes
from careloop.observations.models import Observation
from careloop.residents.models import ConditionType, ResidentCondition

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 15, 10, 0, tzinfo=SHANGHAI)
HOME_NURSING = "maintenance.home_nursing"
BP_MONITORING = "maintenance.bp_monitoring"
TEAM_OF = {"wang": "a", "li": "a", "zhao": "b", "chen": None}
COMMUNITY_OF = {"wang": "east", "li": "east", "zhao": "east", "chen": "west"}


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze ``clock.now`` at Sunday 15 March 2026, 10:00 Shanghai time."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


@dataclass(frozen=True)
class Row:
    """One demand as the test knows it (and, for the expected values, only as it knows it)."""

    who: str
    filed: datetime
    tier: str = "routine"
    accepted_after: timedelta | None = None
    service: str | None = None
    status: str = "accepted"
    scheduled_after: timedelta | None = None
    match_within: timedelta = timedelta(days=3)
    suggested: bool = False
    confirmed: bool | None = None
    stars: int | None = None

    @property
    def month(self) -> date:
        return self.filed.astimezone(SHANGHAI).date().replace(day=1)


H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)

ROWS = [
    # January, routine, accepted: an even count (6) in the east community
    Row("wang", at(1, 5), accepted_after=1 * H, service=HOME_NURSING, stars=5,
        scheduled_after=1 * D, status="completed"),
    Row("wang", at(1, 6), accepted_after=2 * H, service=HOME_NURSING, stars=4,
        scheduled_after=4 * D, status="completed"),
    Row("li", at(1, 7), accepted_after=3 * H, service=BP_MONITORING, stars=3,
        scheduled_after=2 * D, status="completed"),
    Row("zhao", at(1, 8), accepted_after=10 * H, service=HOME_NURSING, stars=2,
        scheduled_after=1 * D, status="completed"),
    Row("zhao", at(1, 9), accepted_after=5 * H + 30 * M, service=BP_MONITORING),
    # 20:00 on 31 January in Shanghai is 12:00 UTC: January
    Row("li", at(1, 31, 20), accepted_after=7 * H, service=HOME_NURSING, suggested=True,
        confirmed=True),
    # 01:00 on 1 February in Shanghai is still 31 January in UTC: February here
    Row("wang", at(2, 1, 1), accepted_after=30 * M, service=HOME_NURSING, suggested=True,
        confirmed=False, scheduled_after=3 * D, stars=5, status="completed"),
    # February, routine, accepted: an odd count (5)
    Row("wang", at(2, 3), accepted_after=4 * H, service=BP_MONITORING, suggested=True),
    Row("li", at(2, 4), accepted_after=30 * H, service=HOME_NURSING, stars=4,
        scheduled_after=2 * D, status="completed"),
    Row("zhao", at(2, 5), accepted_after=12 * H, service=HOME_NURSING, suggested=True,
        confirmed=True),
    Row("zhao", at(2, 6), accepted_after=26 * H),
    # never accepted, withdrawn (even one that had been scheduled), critical
    Row("wang", at(1, 12), status="submitted", service=HOME_NURSING),
    Row("li", at(3, 3), status="withdrawn", accepted_after=2 * H, scheduled_after=1 * D,
        service=HOME_NURSING),
    Row("zhao", at(1, 20), status="withdrawn", service=BP_MONITORING, suggested=True),
    Row("zhao", at(2, 11), tier="critical", accepted_after=1 * M, scheduled_after=1 * H),
    # urgent: January 3 (odd), February 2 (even)
    Row("wang", at(1, 14), tier="urgent", accepted_after=10 * M, scheduled_after=50 * M,
        match_within=1 * H),
    Row("li", at(1, 15), tier="urgent", accepted_after=40 * M, scheduled_after=2 * H,
        match_within=1 * H),
    Row("zhao", at(1, 16), tier="urgent", accepted_after=20 * M, service=HOME_NURSING),
    Row("wang", at(2, 14), tier="urgent", accepted_after=15 * M, stars=1),
    Row("zhao", at(2, 15), tier="urgent", accepted_after=25 * M, stars=4),
    # March (the current month)
    Row("wang", at(3, 2), accepted_after=6 * H, service=HOME_NURSING, scheduled_after=1 * D),
    # the other community
    Row("chen", at(1, 10), accepted_after=100 * H, service=HOME_NURSING, stars=1,
        suggested=True, confirmed=True),
    Row("chen", at(2, 10), tier="urgent", accepted_after=90 * M),
]  # fmt: skip


@dataclass
class World:
    cast: object
    services: dict[str, Service]
    demands: list[tuple[Row, Demand]]


def make_demand(cast, row: Row, services: dict[str, Service]) -> Demand:
    resident = getattr(cast, row.who)
    accepted = row.filed + row.accepted_after if row.accepted_after is not None else None
    scheduled = row.filed + row.scheduled_after if row.scheduled_after is not None else None
    return Demand.objects.create(
        resident=resident,
        service=services[row.service] if row.service else None,
        channel="clinician_push" if row.suggested else "resident_web",
        system_suggested=row.suggested,
        resident_confirmed=row.confirmed,
        urgent=row.tier != "routine",
        quadrant="Q1" if row.tier != "routine" else "Q2",
        tier=row.tier,
        status=row.status,
        due_respond_at=row.filed + 24 * H,
        due_match_at=row.filed + row.match_within,
        accepted_at=accepted,
        scheduled_at=scheduled,
        completed_at=scheduled + H if row.status == "completed" and scheduled else None,
        created_at=row.filed,
    )


@pytest.fixture
def world(cast, frozen) -> World:
    services = {code: Service.objects.get(code=code) for code in (HOME_NURSING, BP_MONITORING)}
    made = []
    for row in ROWS:
        demand = make_demand(cast, row, services)
        if row.stars is not None:
            Rating.objects.create(
                demand=demand, overall=row.stars, response_speed=row.stars, source="portal",
                created_at=(demand.completed_at or demand.created_at) + H,
            )  # fmt: skip
        made.append((row, demand))
    return World(cast=cast, services=services, demands=made)


# ---- the independent computation ---------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, by the standard library."""
    if len(values) == 1:
        return values[0]
    if fraction == 0.5:
        return statistics.median(values)
    return statistics.quantiles(values, n=10, method="inclusive")[round(fraction * 10) - 1]


def expected(
    rows: list[Row], *, community=None, team=None, service=None, month=None
) -> dict[str, tuple[float | None, int]]:
    chosen = [
        r for r in rows
        if (community is None or COMMUNITY_OF[r.who] == community)
        and (team is None or TEAM_OF[r.who] == team)
        and (service is None or r.service == service)
        and (month is None or r.month == month)
    ]  # fmt: skip
    found: dict[str, tuple[float | None, int]] = {}

    def hours(tier: str, unit: float) -> list[float]:
        return [
            r.accepted_after.total_seconds() / unit
            for r in chosen
            if r.tier == tier and r.accepted_after is not None
        ]

    routine, urgent = hours("routine", 3600), hours("urgent", 60)
    found["response_time_median_h"] = (
        (round(percentile(routine, 0.5), 2), len(routine)) if routine else (None, 0)
    )
    found["response_time_p90_h"] = (
        (round(percentile(routine, 0.9), 2), len(routine)) if routine else (None, 0)
    )
    found["urgent_response_median_min"] = (
        (round(percentile(urgent, 0.5), 2), len(urgent)) if urgent else (None, 0)
    )
    filed = [r for r in chosen if r.status != "withdrawn"]
    matched = [
        r for r in filed
        if r.scheduled_after is not None and r.scheduled_after <= r.match_within
    ]  # fmt: skip
    found["match_success_rate"] = (
        (round(100 * len(matched) / len(filed), 2), len(filed)) if filed else (None, 0)
    )
    suggested = [r for r in chosen if r.suggested]
    confirmed = [r for r in suggested if r.confirmed is True]
    found["identification_accuracy"] = (
        (round(100 * len(confirmed) / len(suggested), 2), len(suggested))
        if suggested
        else (None, 0)
    )
    rated = [r for r in chosen if r.stars is not None]
    satisfied = [r for r in rated if r.stars >= 4]
    found["satisfaction_rate"] = (
        (round(100 * len(satisfied) / len(rated), 2), len(rated)) if rated else (None, 0)
    )
    return found


DEMAND_KPIS = KPI_CODES[:6]


def assert_demand_kpis(values, wanted):
    by_code = {v.code: v for v in values}
    assert list(by_code) == list(KPI_CODES)
    for code in DEMAND_KPIS:
        value, sample = wanted[code]
        got = by_code[code]
        assert (got.value, got.sample) == (pytest.approx(value, abs=1e-9), sample), code
        assert got.target == kpis.KPIS[code].target
        assert got.status == status_for(
            value, got.target, higher_is_better=kpis.KPIS[code].higher_is_better
        )


# ---- tests --------------------------------------------------------------------------------


def test_the_hand_made_data_exercises_even_and_odd_counts(world):
    january = expected(ROWS, community="east", month=date(2026, 1, 1))
    february = expected(ROWS, community="east", month=date(2026, 2, 1))
    # January: 1, 2, 3, 5.5, 7, 10 hours; February: 0.5, 4, 12, 26, 30 hours
    assert january["response_time_median_h"] == (4.25, 6)
    assert january["response_time_p90_h"] == (8.5, 6)  # 7 + 0.5 × (10 − 7)
    assert february["response_time_median_h"] == (12.0, 5)
    assert february["response_time_p90_h"] == (28.4, 5)  # 26 + 0.6 × (30 − 26)
    assert january["urgent_response_median_min"] == (20.0, 3)
    assert february["urgent_response_median_min"] == (20.0, 2)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"community": "east"},
        {"community": "west"},
        {"community": "east", "month": date(2026, 1, 1)},
        {"community": "east", "month": date(2026, 2, 1)},
        {"community": "east", "month": date(2026, 3, 1)},
        {"community": "east", "month": date(2025, 12, 1)},
        {"community": "east", "team": "a"},
        {"community": "east", "team": "b"},
        {"team": "a", "month": date(2026, 2, 1)},
        {"service": HOME_NURSING},
        {"community": "east", "service": BP_MONITORING},
        {"community": "east", "team": "b", "service": HOME_NURSING, "month": date(2026, 1, 1)},
    ],
    ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()) or "everything",
)
def test_demand_kpis_agree_with_the_raw_rows(world, filters):
    cast = world.cast
    arguments = {
        "community": getattr(cast, filters["community"]) if "community" in filters else None,
        "team": getattr(cast, f"team_{filters['team']}") if "team" in filters else None,
        "service": world.services[filters["service"]] if "service" in filters else None,
        "month": filters.get("month"),
    }
    assert_demand_kpis(compute_kpis(**arguments), expected(ROWS, **filters))


def test_kpis_take_a_fixed_number_of_queries(health, django_assert_max_num_queries):
    """Aggregates, not loops: 3 percentile queries at most (1 per tier on PostgreSQL), 2 for
    the rates, 2 per control rate (now and a year earlier) — however many rows there are."""
    with django_assert_max_num_queries(9):
        compute_kpis(community=health.cast.east)


def test_month_accepts_any_day_of_the_month(world):
    first = compute_kpis(community=world.cast.east, month=date(2026, 2, 1))
    later = compute_kpis(community=world.cast.east, month=date(2026, 2, 27))
    assert first == later


def test_withdrawn_demands_leave_the_match_rate(world):
    values = {v.code: v for v in compute_kpis(community=world.cast.east)}
    east = [r for r in ROWS if COMMUNITY_OF[r.who] == "east"]
    counted = [r for r in east if r.status != "withdrawn"]
    assert values["match_success_rate"].sample == len(counted) == len(east) - 2


def test_an_empty_scope_has_no_values(db, cast, frozen):
    values = compute_kpis(community=cast.east, month=date(2026, 1, 1))
    assert [(v.value, v.status, v.sample) for v in values] == [(None, "none", 0)] * len(KPI_CODES)
    assert [v.unit for v in values] == ["h", "h", "min", "%", "%", "%", "%", "%"]


def test_names_are_translated_strings(world):
    values = compute_kpis(community=world.cast.east)
    assert all(isinstance(v.name, str) and v.name for v in values)


@pytest.mark.parametrize("code", ["response_time_median_h", "response_time_p90_h",
                                  "urgent_response_median_min", "match_success_rate",
                                  "identification_accuracy", "satisfaction_rate"])  # fmt: skip
def test_trend_has_one_value_per_month(world, code, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        series = kpi_trend(code, months=4, community=world.cast.east)
    months = [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert [month for month, _ in series] == months
    for month, value in series:
        assert value == expected(ROWS, community="east", month=month)[code][0], month


def test_trend_by_team_and_service(world):
    series = kpi_trend(
        "response_time_median_h", months=2, team=world.cast.team_b,
        service=world.services[HOME_NURSING],
    )  # fmt: skip
    assert series == [
        (date(2026, 2, 1), expected(ROWS, team="b", service=HOME_NURSING,
                                    month=date(2026, 2, 1))["response_time_median_h"][0]),
        (date(2026, 3, 1), None),
    ]  # fmt: skip


def test_trend_rejects_unknown_codes(db):
    with pytest.raises(ValueError, match="unknown KPI"):
        kpi_trend("waiting_time")
    with pytest.raises(ValueError, match="at least 1"):
        kpi_trend("satisfaction_rate", months=0)


def test_percentiles_take_the_same_values_on_the_portable_path(world):
    """The window-function path (SQLite's) gives what percentile_cont gives (PostgreSQL's)."""
    demands = Demand.objects.filter(tier="routine", accepted_at__isnull=False)
    value = seconds_between("created_at", "accepted_at")
    month = TruncMonth("created_at", tzinfo=SHANGHAI)
    portable = window_percentiles(
        demands.order_by().annotate(_value=value, _group=month), (0.5, 0.9), grouped=True
    )
    native = percentiles(demands, value, (0.5, 0.9), group=month)
    assert portable.keys() == native.keys()
    for key, (values, count) in native.items():
        assert portable[key][1] == count
        assert portable[key][0] == {f: pytest.approx(v) for f, v in values.items()}


@pytest.mark.parametrize(
    ("value", "target", "higher", "status"),
    [
        (24.0, 24.0, False, "green"),
        (26.4, 24.0, False, "amber"),
        (26.41, 24.0, False, "red"),
        (95.0, 95.0, True, "green"),
        (85.5, 95.0, True, "amber"),
        (85.49, 95.0, True, "red"),
        (None, 95.0, True, "none"),
        (50.0, None, True, "none"),
    ],
)
def test_traffic_lights(value, target, higher, status):
    assert status_for(value, target, higher_is_better=higher) == status


# ---- control rates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    who: str
    code: str
    at: datetime
    value: str
    value2: str | None = None


LONG_AGO = at(1, 1, year=2020)


@dataclass(frozen=True)
class Condition:
    who: str
    icd: str
    onset: date | None
    resolved: date | None = None
    recorded: datetime = LONG_AGO


CONDITIONS = [
    Condition("wang", "I10", date(2020, 5, 1)),
    Condition("wang", "E11", date(2021, 3, 1)),
    Condition("li", "I11", date(2025, 6, 1)),  # after last year's baseline
    Condition("zhao", "I10", None, recorded=at(2, 1, year=2025)),
    Condition("zhao", "E11", date(2019, 1, 1)),
    Condition("chen", "I10", date(2018, 1, 1)),
    # resolved before now: was diabetic a year ago, is not now
    Condition("li", "E10", date(2024, 1, 1), resolved=date(2025, 12, 1)),
    # not a control-rate condition
    Condition("zhao", "E78", date(2019, 1, 1)),
]
READINGS = [
    Reading("wang", codes.BP, at(2, 10, year=2025), "150", "95"),
    Reading("wang", codes.BP, at(3, 1, hour=9), "130", "80"),
    Reading("li", codes.BP, at(3, 1, year=2025), "130", "85"),
    Reading("li", codes.BP, at(2, 20), "145", "88"),
    Reading("zhao", codes.BP, at(3, 20), "120", "70"),  # after now: not yet measured
    Reading("chen", codes.BP, at(1, 5), "128", "82"),
    Reading("wang", codes.GLUCOSE_FASTING, at(3, 1, year=2025), "7.5"),
    Reading("wang", codes.GLUCOSE_FASTING_LAB, at(3, 10), "6.5"),
    Reading("wang", codes.GLUCOSE_RANDOM, at(3, 12), "12.0"),  # not fasting: ignored
    Reading("zhao", codes.GLUCOSE_FASTING, at(2, 2), "8.0"),
    Reading("li", codes.GLUCOSE_FASTING, at(2, 2, year=2025), "6.0"),
]


@pytest.fixture
def health(world) -> World:
    cast = world.cast
    for condition in CONDITIONS:
        row = ResidentCondition.objects.create(
            resident=getattr(cast, condition.who),
            condition=ConditionType.objects.get(code=condition.icd),
            onset_date=condition.onset,
            status="resolved" if condition.resolved else "active",
            resolved_on=condition.resolved,
        )
        ResidentCondition.objects.filter(pk=row.pk).update(created_at=condition.recorded)
    for i, reading in enumerate(READINGS):
        Observation.objects.create(
            resident=getattr(cast, reading.who), code=reading.code, value=Decimal(reading.value),
            value2=Decimal(reading.value2) if reading.value2 else None, effective_at=reading.at,
            source="manual", identifier=f"r{i}", created_at=reading.at,
        )  # fmt: skip
    return world


def expected_control(kind: str, as_of: datetime, *, community=None, team=None):
    """(rate, residents, measured) from the lists above."""
    prefixes = ("I10", "I11", "I12", "I13", "I14", "I15") if kind == "htn" else (
        "E10", "E11", "E12", "E13", "E14")  # fmt: skip
    day = as_of.astimezone(SHANGHAI).date()
    people = {
        c.who for c in CONDITIONS
        if c.icd[:3] in prefixes
        and (c.onset <= day if c.onset else c.recorded < as_of)
        and (c.resolved is None or c.resolved > day)
        and (community is None or COMMUNITY_OF[c.who] == community)
        and (team is None or TEAM_OF[c.who] == team)
    }  # fmt: skip
    wanted = {codes.BP} if kind == "htn" else {codes.GLUCOSE_FASTING, codes.GLUCOSE_FASTING_LAB}
    controlled = measured = 0
    for who in people:
        mine = [r for r in READINGS if r.who == who and r.code in wanted and r.at < as_of]
        if not mine:
            continue
        measured += 1
        last = max(mine, key=lambda r: r.at)
        if kind == "htn":
            controlled += Decimal(last.value) < 140 and Decimal(last.value2) < 90
        else:
            controlled += Decimal(last.value) < Decimal("7.0")
    if not people:
        return None, 0, 0
    return round(100 * controlled / len(people), 2), len(people), measured


@pytest.mark.parametrize(
    ("filters", "month"),
    [
        ({}, None),
        ({"community": "east"}, None),
        ({"community": "east"}, date(2026, 2, 1)),
        ({"community": "east"}, date(2026, 3, 1)),
        ({"community": "east", "team": "a"}, None),
        ({"community": "east", "team": "b"}, None),
        ({"community": "west"}, None),
    ],
)
def test_control_rates_agree_with_the_raw_rows(health, filters, month):
    cast = health.cast
    values = {
        v.code: v
        for v in compute_kpis(
            community=getattr(cast, filters["community"]) if "community" in filters else None,
            team=getattr(cast, f"team_{filters['team']}") if "team" in filters else None,
            month=month,
        )
    }
    if month is None:
        as_of = NOW
    else:
        month_end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1,
                             tzinfo=SHANGHAI)  # fmt: skip
        as_of = min(month_end, NOW)
    year_before = as_of.replace(year=as_of.year - 1)
    for kind in ("htn", "dm"):
        got = values[f"{kind}_control_rate"]
        rate, people, _ = expected_control(kind, as_of, **filters)
        before, _, measured_before = expected_control(kind, year_before, **filters)
        target = round(min(100.0, before + 5), 2) if measured_before else None
        assert (got.value, got.sample, got.target) == (rate, people, target), kind
        assert got.status == status_for(rate, target, higher_is_better=True)


def test_the_control_fixture_is_not_trivial(health):
    east_now = expected_control("htn", NOW, community="east")
    assert east_now == (33.33, 3, 2)  # wang controlled; li not; zhao never measured
    assert expected_control("htn", NOW.replace(year=2025), community="east") == (0.0, 2, 1)
    assert expected_control("dm", NOW, community="east") == (50.0, 2, 2)
    assert expected_control("dm", NOW.replace(year=2025), community="east") == (33.33, 3, 2)


def test_control_rates_are_not_defined_for_a_service(health):
    values = {v.code: v for v in compute_kpis(service=health.services[HOME_NURSING])}
    for code in ("htn_control_rate", "dm_control_rate"):
        assert (values[code].value, values[code].target, values[code].status) == (
            None, None, "none")  # fmt: skip


def test_control_rate_trend_is_as_of_each_month_end(health):
    series = kpi_trend("htn_control_rate", months=3, community=health.cast.east)
    ends = [datetime(2026, 2, 1, tzinfo=SHANGHAI), datetime(2026, 3, 1, tzinfo=SHANGHAI), NOW]
    assert series == [
        (date(2026, m, 1), expected_control("htn", end, community="east")[0])
        for m, end in zip((1, 2, 3), ends, strict=True)
    ]
