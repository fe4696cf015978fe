"""Population analytics runs: the features read from the database, and each run stored with
its parameters, data snapshot and result (audited), failures included."""

# ruff: noqa: F811 (pytest fixtures imported from the sibling modules)

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from careloop.analytics import features, selectors, services, tasks
from careloop.analytics.models import AnalyticsRun
from careloop.catalogue.models import Service
from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import AuditEvent
from careloop.demands.models import Demand
from careloop.observations import codes
from careloop.observations.models import Observation
from careloop.residents.models import (
    ConditionType,
    Household,
    Resident,
    ResidentCondition,
    ResidentTag,
)
from tests.analytics.test_kpis import NOW, SHANGHAI, frozen  # noqa: F401 (fixture)

FOOT = "maintenance.diabetic_foot_screening"
ILLNESS = "basic.common_illness"
VACCINE = "basic.vaccination"


def resident(community, n: int, birth: date, sex: str = "F", **fields) -> Resident:
    return Resident.objects.create(
        community=community, name=f"居民{n}", sex=sex, birth_date=birth, id_number=f"x{n}",
        id_number_hash=f"h{community.code}{n}", **fields,
    )  # fmt: skip


def demand(who: Resident, code: str, filed: datetime) -> Demand:
    return Demand.objects.create(
        resident=who, service=Service.objects.get(code=code), channel="resident_web",
        quadrant="Q2", tier="routine", due_respond_at=filed, due_match_at=filed,
        created_at=filed,
    )  # fmt: skip


@pytest.fixture
def population(cast, frozen):
    """40 more residents of the east community: 20 elders with hypertension and diabetes
    (18 of whom asked for diabetic foot screening), 20 young adults (common illness), and a
    vaccination service asked for every week for twelve weeks."""
    htn, dm = ConditionType.objects.get(code="I10"), ConditionType.objects.get(code="E11")
    elders, young = [], []
    for n in range(20):
        elder = resident(cast.east, n, date(1950 + n % 10, 3, 1), sex="MF"[n % 2],
                         living_alone=n % 4 == 0, occupation="retired")  # fmt: skip
        ResidentCondition.objects.create(resident=elder, condition=htn, onset_date=date(2015, 1, 1))
        ResidentCondition.objects.create(resident=elder, condition=dm, onset_date=date(2016, 1, 1))
        if n < 18:
            demand(elder, FOOT, NOW - timedelta(days=20 + n))
        elders.append(elder)
    for n in range(20, 40):
        person = resident(cast.east, n, date(1994 + n % 5, 6, 1), sex="MF"[n % 2],
                          occupation="office")  # fmt: skip
        demand(person, ILLNESS, NOW - timedelta(days=10 + n))
        young.append(person)
    for week in range(12):
        for k in range(3 + week % 3):
            demand(young[k], VACCINE, NOW - timedelta(weeks=week + 1, days=k))
    return elders, young


# ---- features -------------------------------------------------------------------------------


def test_resident_features_come_from_the_rows(cast, frozen):
    home = Household.objects.create(community=cast.east, code="H-1")
    parent = resident(cast.east, 1, date(1990, 3, 16), sex="M", household=home,
                      occupation="  ", disability="visual")  # fmt: skip
    child = resident(cast.east, 2, date(2022, 1, 1), household=home)
    resident(cast.east, 3, date(2022, 1, 1))  # no household: counts for nobody
    ResidentCondition.objects.create(
        resident=parent, condition=ConditionType.objects.get(code="I25"), onset_date=None
    )
    ResidentCondition.objects.create(
        resident=parent, condition=ConditionType.objects.get(code="E11"), status="resolved"
    )
    ResidentTag.objects.create(resident=parent, code="smoker", since=NOW)
    for day, steps in ((1, 3000), (1, 5000), (2, 7000), (30, 99999)):  # 30 days ago: too old
        Observation.objects.create(
            resident=parent, code=codes.STEPS, value=Decimal(steps), source="device",
            effective_at=NOW - timedelta(days=day), created_at=NOW, identifier=f"s{day}{steps}",
        )  # fmt: skip
    read = features.resident_features(cast.east)
    frame = read.frame
    assert len(frame) == 6  # the cast's wang, li, zhao and the three above
    row = frame.loc[parent.pk]
    assert row["age"] == 35  # the day before the 36th birthday
    assert (row["sex"], row["occupation"]) == ("M", "unknown")
    assert bool(row["disability"]) and not bool(row["living_alone"])
    assert bool(row["chd"]) and not bool(row["dm"]) and not bool(row["htn"])
    assert bool(row["smoker"]) and not bool(row["sedentary"])
    assert row["steps"] == 6000.0  # mean of the days' largest readings: (5000 + 7000) / 2
    assert row["children_under_6"] == 1
    assert frame.loc[child.pk, "children_under_6"] == 0  # a child is not a parent
    assert frame["steps"].isna().sum() == 5
    assert read.sources["residents"]["rows"] == 6
    assert read.sources["residents"]["max_id"] == max(frame.index)
    assert read.sources["conditions"]["rows"] == 1  # the resolved one is not read
    assert read.sources["steps"]["rows"] == 3


def test_transactions_hold_conditions_tags_and_recent_services(population, cast):
    elders, _young = population
    ResidentTag.objects.create(resident=elders[0], code="hypertension", since=NOW)
    ResidentTag.objects.create(resident=elders[0], code="living_alone", since=NOW)
    since = NOW - timedelta(days=29, hours=12)
    read = features.transactions(cast.east, since=since)
    frame = read.frame
    assert len(frame) == 43
    assert "tag:hypertension" not in frame  # a condition tag is the cond: item
    assert frame.loc[elders[0].pk, "tag:living_alone"]
    assert frame["cond:diabetes"].sum() == 20
    assert frame[f"svc:{FOOT}"].sum() == 10  # filed 20–29 days ago: since then only
    assert read.sources["demands"]["rows"] == Demand.objects.filter(created_at__gte=since).count()


def test_weekly_counts_are_complete_local_weeks(population, cast):
    read = features.weekly_demand_counts(cast.east, weeks=10, service=None)
    weekly = read.frame
    assert list(weekly.index.strftime("%Y-%m-%d"))[-1] == "2026-03-02"  # last complete week
    assert len(weekly) == 10
    assert weekly.index.freqstr == "W-MON"
    assert int(weekly.to_numpy().sum()) == read.sources["demands"]["rows"]
    assert int(weekly[VACCINE].sum()) == Demand.objects.filter(
        service__code=VACCINE, created_at__gte=datetime(2025, 12, 29, tzinfo=SHANGHAI),
        created_at__lt=datetime(2026, 3, 9, tzinfo=SHANGHAI),
    ).count()  # fmt: skip


# ---- runs ------------------------------------------------------------------------------------


def test_a_run_stores_parameters_snapshot_and_results(population, cast):
    runs = services.run_analytics(actor=cast.director, community=cast.east)

    assert [run.kind for run in runs] == ["describe", "segments", "rules", "forecast"]
    assert [(run.status, run.error) for run in runs] == [("succeeded", "")] * 4
    describe, segments, rules, forecast = (AnalyticsRun.objects.get(pk=r.pk) for r in runs)
    residents = Resident.objects.filter(community=cast.east)
    for run in (describe, segments):
        assert run.snapshot["community"] == "east"
        assert run.snapshot["taken_at"] == NOW.isoformat()
        assert run.snapshot["sources"]["residents"]["rows"] == 43
        assert run.snapshot["sources"]["residents"]["max_id"] == max(r.pk for r in residents)
        assert run.community == cast.east and run.created_by == cast.director
    assert describe.result["total"] == 43
    assert describe.result["prevalence_all"]["htn"] == round(20 / 43, 6)
    assert {(t["row"], t["col"]) for t in describe.result["crosstabs"]} >= {
        ("age_band", "sex"), ("segment", "age_band")}  # fmt: skip

    assert segments.parameters["k_range"] == list(range(2, 9))
    assert "htn" in segments.parameters["features"]
    assert "steps" in segments.parameters["dropped_constant"]  # nobody has a wristband
    assert 2 <= segments.result["k"] <= 8
    assert sum(s["size"] for s in segments.result["segments"]) == 43

    assert rules.parameters["consequent_prefix"] == "svc:"
    assert rules.parameters["min_support"] == pytest.approx(5 / 43)
    found = {(tuple(r["antecedents"]), tuple(r["consequents"])): r for r in rules.result["rules"]}
    planted = found[(("cond:diabetes",), (f"svc:{FOOT}",))]
    assert planted["confidence"] == pytest.approx(18 / 20)
    assert (
        rules.snapshot["sources"]["demands"]["rows"]
        == Demand.objects.filter(
            resident__community=cast.east, created_at__gte=NOW - timedelta(days=365)
        ).count()
    )

    assert forecast.parameters["horizon"] == 8
    vaccine = forecast.result["services"][VACCINE]
    assert len(vaccine["forecast"]) == len(vaccine["lower"]) == len(vaccine["upper"]) == 8
    assert all(lo <= f <= hi for lo, f, hi in zip(vaccine["lower"], vaccine["forecast"],
                                                   vaccine["upper"], strict=True))  # fmt: skip
    assert vaccine["weeks"][0] == "2026-03-09"
    assert set(forecast.result["services"]) | set(forecast.result["skipped"]) == {
        FOOT, ILLNESS, VACCINE}  # fmt: skip
    assert all(run.duration_ms >= 0 for run in runs)

    audited = AuditEvent.objects.filter(action="careloop.analytics.ran")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(r.public_id for r in runs)
    assert selectors.latest_run("segments", cast.east) == segments
    assert selectors.latest_run("segments", cast.west) is None
    assert selectors.latest_run("segments", None) is None


def test_an_analysis_the_data_cannot_support_is_stored_as_failed(cast, frozen):
    runs = services.run_analytics(actor=cast.west_director, community=cast.west)
    status = {run.kind: (run.status, bool(run.error)) for run in runs}
    assert status == {
        "describe": ("succeeded", False),  # one resident can be described
        "segments": ("failed", True),  # but not segmented
        "rules": ("failed", True),  # no items at all
        "forecast": ("failed", True),  # no demands
    }
    assert selectors.latest_run("segments", cast.west) is None
    assert selectors.latest_run("describe", cast.west) == runs[0]
    failed = AuditEvent.objects.filter(action="careloop.analytics.ran", outcome="failure")
    assert failed.count() == 3


def test_later_runs_become_the_latest(population, cast):
    first = services.run_analytics(actor=None, kinds=["segments"], community=cast.east)[0]
    second = services.run_analytics(actor=None, kinds=["segments"], community=cast.east)[0]
    assert selectors.latest_run("segments", cast.east) == second != first
    assert second.created_by is None


@pytest.mark.parametrize("who", ["doctor_a", "cashier", "west_director"])
def test_only_the_communitys_directors_may_run_it(cast, frozen, who):
    with pytest.raises(ForbiddenError):
        services.run_analytics(actor=getattr(cast, who), community=cast.east)
    with pytest.raises(ForbiddenError):
        services.run_analytics(actor=cast.director, community=None)
    assert AnalyticsRun.objects.count() == 0
    assert not AuditEvent.objects.filter(action="careloop.analytics.ran").exists()


def test_unknown_analyses_are_refused(cast, frozen):
    with pytest.raises(DomainError) as raised:
        services.run_analytics(actor=cast.director, kinds=["clustering"], community=cast.east)
    assert raised.value.code == "analytics.invalid_kind"
    assert AnalyticsRun.objects.count() == 0


def test_the_nightly_job_runs_every_community(population, cast):
    stored = tasks.run_nightly_analytics.call_local()
    assert stored == 8
    assert AnalyticsRun.objects.filter(community=cast.east, status="succeeded").count() == 4
    assert AnalyticsRun.objects.filter(community=cast.west).count() == 4


def test_the_on_demand_job_runs_what_was_asked(population, cast):
    ids = tasks.run_analytics_now.call_local(cast.director.pk, cast.east.pk, ["rules"])
    run = AnalyticsRun.objects.get(public_id=ids[0])
    assert (run.kind, run.status, run.created_by) == ("rules", "succeeded", cast.director)
