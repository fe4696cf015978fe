"""LocalBackend runs every analysis and returns JSON-ready results with their parameters."""

from __future__ import annotations

import json

import pytest

from careloop.analytics.algorithms.backend import AnalyticsBackend, LocalBackend
from careloop.analytics.algorithms.synthetic import (
    SEGMENT_FEATURES,
    generate_demands,
    generate_population,
    seasonal_series,
    transactions,
    weekly_counts,
)


@pytest.fixture(scope="module")
def population():
    return generate_population(2_000, seed=51)


def _roundtrip(result) -> dict:
    return json.loads(json.dumps(result.to_dict()))


def test_local_backend_runs_the_four_analyses(population):
    backend: AnalyticsBackend = LocalBackend()

    table = _roundtrip(backend.describe(population, conditions=["htn", "dm"], numeric=["bmi"]))
    assert table["total"] == 2_000
    assert table["params"]["conditions"] == ["htn", "dm"]

    segments = _roundtrip(backend.segment(population, features=SEGMENT_FEATURES, k_range=[4, 5]))
    assert segments["k"] == 5
    assert segments["params"]["k_range"] == [4, 5]

    baskets = transactions(population, generate_demands(population, seed=52))
    rules = _roundtrip(backend.rules(baskets, min_support=0.05, consequent_prefix="svc:"))
    assert rules["rules"]
    assert rules["params"]["consequent_prefix"] == "svc:"


def test_forecast_carries_its_backtest():
    series = seasonal_series(60, seed=53)
    result = LocalBackend().forecast(series, horizon=4, backtest_folds=2)
    assert result.backtest is not None
    assert result.backtest.origins == [52, 56]
    data = _roundtrip(result)
    assert data["backtest"]["model_mae"] >= 0
    assert len(data["forecast"]) == 4


def test_backtest_folds_shrink_to_what_the_series_allows():
    series = seasonal_series(14, seed=54)
    assert LocalBackend().forecast(series, horizon=4, backtest_folds=5).backtest.origins == [10]
    assert LocalBackend().forecast(series, horizon=8, backtest_folds=5).backtest is None
    assert LocalBackend().forecast(series, horizon=4, backtest_folds=0).backtest is None


def test_forecast_many_forecasts_every_column():
    demands = generate_demands(generate_population(3_000, seed=55), weeks=30, seed=56)
    weekly = weekly_counts(demands, weeks=30)[["flu_vaccine", "common_illness"]]
    results = LocalBackend(n_jobs=1).forecast_many(weekly, horizon=3, backtest_folds=1)
    assert list(results) == ["flu_vaccine", "common_illness"]
    assert all(len(r.forecast) == 3 and r.backtest for r in results.values())


def test_forecast_many_needs_a_frame():
    with pytest.raises(ValueError, match="non-empty DataFrame"):
        LocalBackend().forecast_many([1, 2, 3], horizon=2)
