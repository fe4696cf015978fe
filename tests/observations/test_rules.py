"""The pure rule engine on crafted values: each kind fires at its threshold and not below.
Runs without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careloop.observations import codes, rules
from tests.observations.conftest import DEFAULTS, default_rule

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def reading(code, value, value2=None, *, at=T0, source="device", ref=None):
    return rules.Reading(code, float(value), value2, at, at.date(), source, ref)


def bp(systolic, diastolic, *, at=T0, source="device", ref=None):
    return reading(codes.BP, systolic, float(diastolic), at=at, source=source, ref=ref)


# ---- threshold ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "source", "expected"),
    [
        (185, 115, "device", "urgent"),
        (180, 80, "clinic", "urgent"),
        (120, 110, "manual", "urgent"),
        (179, 109, "clinic", "routine"),
        (140, 80, "clinic", "routine"),
        (130, 90, "clinic", "routine"),
        (139, 89, "clinic", None),  # office threshold is 140/90
        (135, 80, "device", "routine"),  # home threshold is 135/85
        (120, 85, "manual", "routine"),
        (134, 84, "device", None),
        (118, 76, "clinic", None),
    ],
)
def test_bp_threshold(systolic, diastolic, source, expected):
    finding = rules.evaluate(default_rule("bp-high"), [bp(systolic, diastolic, source=source)])
    assert (finding.severity if finding else None) == expected


@pytest.mark.parametrize(
    ("code", "value", "rule", "expected"),
    [
        (codes.GLUCOSE_FASTING, 7.0, "glucose-high", "routine"),
        (codes.GLUCOSE_FASTING, 6.9, "glucose-high", None),
        (codes.GLUCOSE_FASTING_LAB, 7.4, "glucose-high", "routine"),
        (codes.GLUCOSE_RANDOM, 11.1, "glucose-high", "routine"),
        (codes.GLUCOSE_RANDOM, 10.9, "glucose-high", None),  # 10.9 random is not "high"
        (codes.GLUCOSE_POST_MEAL, 12.0, "glucose-high", "routine"),
        (codes.GLUCOSE_FASTING, 3.9, "glucose-low", None),
        (codes.GLUCOSE_FASTING, 3.8, "glucose-low", "urgent"),
        (codes.GLUCOSE_RANDOM, 3.0, "glucose-low", "urgent"),
        (codes.GLUCOSE_RANDOM, 2.9, "glucose-low", "critical"),
        (codes.HEART_RATE, 100, "heart-rate-high", None),
        (codes.HEART_RATE, 101, "heart-rate-high", "routine"),
        (codes.HEART_RATE, 130, "heart-rate-high", "routine"),
        (codes.HEART_RATE, 131, "heart-rate-high", "urgent"),
        (codes.HEART_RATE, 50, "heart-rate-low", None),
        (codes.HEART_RATE, 49, "heart-rate-low", "routine"),
        (codes.HEART_RATE, 39, "heart-rate-low", "urgent"),
        (codes.SPO2, 90, "spo2-low", None),
        (codes.SPO2, 89, "spo2-low", "urgent"),
        (codes.SPO2, 89, "glucose-low", None),  # other codes are not the rule's business
    ],
)
def test_single_value_thresholds(code, value, rule, expected):
    finding = rules.evaluate(default_rule(rule), [reading(code, value)])
    assert (finding.severity if finding else None) == expected


def test_threshold_reports_worst_severity_and_every_qualifying_reading():
    new = [
        bp(150, 95, at=T0, ref=1),
        bp(120, 80, at=T0 + timedelta(hours=1), ref=2),
        bp(190, 100, at=T0 + timedelta(hours=2), ref=3),
    ]
    finding = rules.evaluate(default_rule("bp-high"), new)
    assert finding is not None
    assert finding.severity == "urgent"
    assert [r.ref for r in finding.readings] == [1, 3]
    assert rules.summary(finding, codes.format_value) == "190/100 mm[Hg]"


@given(
    systolic=st.integers(min_value=50, max_value=300),
    diastolic=st.integers(min_value=20, max_value=200),
    source=st.sampled_from(["device", "manual", "clinic"]),
)
def test_bp_severity_is_monotonic(systolic, diastolic, source):
    """Raising either pressure never lowers the severity; urgent iff ≥ 180 or ≥ 110."""
    rule = default_rule("bp-high")
    level = rules.tier_severity(rule, bp(systolic, diastolic, source=source))
    higher = rules.tier_severity(rule, bp(systolic + 10, diastolic + 10, source=source))
    rank = rules.SEVERITY_RANK
    assert rank.get(higher, 0) >= rank.get(level, 0)
    assert (level == "urgent") == (systolic >= 180 or diastolic >= 110)
    office = source == "clinic"
    routine_line = (140, 90) if office else (135, 85)
    qualifies = systolic >= routine_line[0] or diastolic >= routine_line[1]
    assert (level is not None) == qualifies


# ---- fluctuation ----------------------------------------------------------------------------


def series(values, *, start=T0, step=timedelta(hours=12)):
    return [bp(v, 80, at=start + i * step, ref=i) for i, v in enumerate(values)]


def test_fluctuation_fires_on_sd_at_least_15():
    readings = series([120, 150, 118, 152, 121, 149])  # SD ≈ 16.5, no 30 swing day to day
    finding = rules.evaluate(default_rule("bp-fluctuation"), readings[-1:], readings)
    assert finding is not None
    assert finding.severity == "routine"
    assert finding.detail["sd"] >= 15
    assert "swing" not in finding.detail


def test_fluctuation_quiet_when_sd_below_15_and_no_swing():
    readings = series([128, 132, 126, 134, 130, 129])
    assert rules.evaluate(default_rule("bp-fluctuation"), readings[-1:], readings) is None


def test_fluctuation_needs_min_readings_for_sd():
    readings = series([110, 150, 112, 151])  # SD ≈ 23 but 4 < min_readings 5; daily means close
    assert rules.evaluate(default_rule("bp-fluctuation"), readings[-1:], readings) is None


def test_fluctuation_fires_on_day_to_day_swing_of_30():
    day1 = [bp(120, 80, at=T0 + timedelta(hours=8), ref=1)]
    day2 = [bp(150, 85, at=T0 + timedelta(days=1, hours=8), ref=2)]
    finding = rules.evaluate(default_rule("bp-fluctuation"), day2, day1 + day2)
    assert finding is not None
    assert finding.detail == {"swing": 30.0}
    calmer = [bp(149, 85, at=T0 + timedelta(days=1, hours=8), ref=2)]
    assert rules.evaluate(default_rule("bp-fluctuation"), calmer, day1 + calmer) is None


def test_fluctuation_ignores_readings_outside_the_window():
    old = series([100, 170, 100, 170, 100], start=T0 - timedelta(days=20))
    now = series([130, 131, 129, 130, 131], start=T0)
    assert rules.evaluate(default_rule("bp-fluctuation"), now[-1:], old + now) is None


# ---- trend (activity drop) ------------------------------------------------------------------


def steps(day_values: dict[int, float]):
    """Readings at noon of day offsets from T0 (day 0 is the newest)."""
    return [
        reading(codes.STEPS, v, at=T0 + timedelta(days=d, hours=12), ref=d)
        for d, v in day_values.items()
    ]


BASELINE = {d: 8000 + (d % 3) * 500 for d in range(-16, -2)}  # median 8500


def test_activity_drop_fires_after_three_low_days():
    history = steps({**BASELINE, -2: 3000, -1: 2500, 0: 4000})
    finding = rules.evaluate(default_rule("activity-drop"), history[-1:], history)
    assert finding is not None
    assert finding.severity == "routine"
    assert finding.detail["median"] == 8500
    assert finding.detail["days"] == [3000, 2500, 4000]


def test_activity_drop_quiet_when_one_day_is_at_half_the_median():
    history = steps({**BASELINE, -2: 3000, -1: 4250, 0: 4000})  # 4250 = 50 % of 8500
    assert rules.evaluate(default_rule("activity-drop"), history[-1:], history) is None


def test_activity_drop_quiet_when_a_day_is_missing():
    history = steps({**BASELINE, -2: 3000, 0: 4000})
    assert rules.evaluate(default_rule("activity-drop"), history[-1:], history) is None


def test_activity_drop_needs_a_baseline():
    history = steps({-5: 9000, -4: 9000, -3: 9000, -2: 100, -1: 100, 0: 100})
    assert rules.evaluate(default_rule("activity-drop"), history[-1:], history) is None


def test_daily_totals_take_the_largest_counter_of_the_day():
    day = date(2026, 3, 1)
    at = datetime(2026, 3, 1, 8, tzinfo=UTC)
    totals = rules.daily_totals(
        [reading(codes.STEPS, v, at=at + timedelta(hours=h)) for h, v in ((0, 500), (4, 3000))]
    )
    assert totals == {day: 3000}


@given(
    baseline=st.lists(st.integers(min_value=1000, max_value=20000), min_size=14, max_size=14),
    ratio=st.floats(min_value=0.0, max_value=0.49),
)
def test_activity_drop_fires_whenever_three_days_are_below_half(baseline, ratio):
    import statistics

    median = statistics.median(baseline)
    low = int(median * ratio)
    values = {d - 16: v for d, v in enumerate(baseline)}
    values.update({-2: low, -1: low, 0: low})
    history = steps(values)
    assert rules.evaluate(default_rule("activity-drop"), history[-1:], history) is not None


# ---- the shipped definitions and their validation ------------------------------------------


@pytest.mark.parametrize("spec", DEFAULTS, ids=lambda s: s["code"])
def test_shipped_rules_are_valid(spec):
    assert rules.validate(spec["kind"], spec["severity"], spec["parameters"]) == []
    assert set(spec["parameters"]["codes"]) <= set(codes.CODES)


@pytest.mark.parametrize(
    ("kind", "severity", "parameters", "problem"),
    [
        ("magic", "routine", {}, "kind must be one of"),
        ("threshold", "soon", {"codes": ["8867-4"], "tiers": []}, "severity must be"),
        ("threshold", "routine", {"codes": ["8867-4"], "tiers": []}, "tiers must be"),
        (
            "threshold",
            "routine",
            {"codes": ["8867-4"], "tiers": [{"severity": "routine", "any": [["value", "~", 1]]}]},
            "tiers[0].any[0]",
        ),
        ("fluctuation", "routine", {"codes": ["85354-9"], "window_days": 7}, "sd_ge, swing_ge"),
        ("trend", "routine", {"codes": ["55423-8"], "baseline_days": 14,
                              "consecutive_days": 3, "min_baseline_days": 7, "ratio_lt": 2},
         "ratio_lt"),
    ],
)  # fmt: skip
def test_invalid_definitions_are_explained(kind, severity, parameters, problem):
    problems = rules.validate(kind, severity, parameters)
    assert any(problem in p for p in problems), problems
