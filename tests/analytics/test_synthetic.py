"""The synthetic population is deterministic and plants what the other tests look for."""

from __future__ import annotations

import pandas as pd
import pytest

from careloop.analytics.algorithms.synthetic import (
    SEGMENTS,
    SERVICES,
    generate_demands,
    generate_population,
    seasonal_series,
    transactions,
    weekly_counts,
)


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return generate_population(20_000, seed=41)


def test_same_seed_same_data_other_seed_other_data(population):
    pd.testing.assert_frame_equal(population, generate_population(20_000, seed=41))
    assert not population.equals(generate_population(20_000, seed=42))
    demands = generate_demands(population, weeks=10, seed=1)
    pd.testing.assert_frame_equal(demands, generate_demands(population, weeks=10, seed=1))


def test_segments_have_their_planted_shares_and_defining_traits(population):
    shares = population["true_segment"].value_counts(normalize=True)
    for name, planted in SEGMENTS.items():
        assert shares[name] == pytest.approx(planted.share, abs=0.015)
    by_segment = population.groupby("true_segment", observed=True)
    assert by_segment["htn"].mean()["htn_dm_elders"] == 1.0
    assert by_segment["living_alone"].mean()["elders_alone"] == 1.0
    assert (by_segment["children_under_6"].min()["young_families"]) >= 1
    assert by_segment["rehab"].mean()["chronic_rehab"] == 1.0
    assert population["age"].between(20, 100).all()


def test_demands_plant_the_diabetes_foot_care_confidence(population):
    demands = generate_demands(population, weeks=52, seed=43)
    assert demands["week"].between(0, 51).all()
    baskets = transactions(population, demands)
    diabetic = baskets["cond:diabetes"]
    confidence = baskets.loc[diabetic, "svc:diabetic_foot_care"].mean()
    assert confidence == pytest.approx(SERVICES["diabetic_foot_care"].p, abs=0.02)
    assert baskets.dtypes.map(pd.api.types.is_bool_dtype).all()


def test_weekly_counts_add_up_and_flu_peaks_in_autumn(population):
    demands = generate_demands(population, weeks=104, seed=44)
    counts = weekly_counts(demands, weeks=104)
    assert counts.shape == (104, len(SERVICES))
    assert int(counts.to_numpy().sum()) == len(demands)
    flu = counts["flu_vaccine"]
    assert 38 <= int(flu.iloc[52:].to_numpy().argmax()) <= 48
    assert flu.iloc[52:].sum() > flu.iloc[:52].sum()  # it grows


def test_seasonal_series_is_dated_weekly_and_peaks_where_asked():
    series = seasonal_series(52, peak_week=20, noise=0.0, growth=0.0)
    assert len(series) == 52
    assert series.index.freqstr == "W-MON"
    assert int(series.to_numpy().argmax()) == 20


@pytest.mark.parametrize(
    "call",
    [
        lambda: generate_population(0),
        lambda: generate_demands(generate_population(10), weeks=0),
        lambda: seasonal_series(0),
    ],
)
def test_sizes_must_be_positive(call):
    with pytest.raises(ValueError, match="must be positive"):
        call()
