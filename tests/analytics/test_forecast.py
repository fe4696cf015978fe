"""Weekly forecasts: intervals, back-tests against the naive seasonal baseline, hints."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from careloop.analytics.algorithms.forecast import (
    Forecast,
    backtest,
    fit_forecast,
    naive_seasonal,
    staffing_hint,
)
from careloop.analytics.algorithms.synthetic import seasonal_series

HORIZON = 8


@pytest.fixture(scope="module")
def series() -> pd.Series:
    """Three years of flu-vaccine-like enquiries: an autumn peak and 10 % growth a year."""
    return seasonal_series(156, growth=0.10, noise=0.05, seed=31)


@pytest.fixture(scope="module")
def forecast(series) -> Forecast:
    return fit_forecast(series, HORIZON)


def test_forecast_has_the_horizon_and_its_interval_contains_it(forecast):
    assert len(forecast.forecast) == len(forecast.lower) == len(forecast.upper) == HORIZON
    for low, mid, high in zip(forecast.lower, forecast.forecast, forecast.upper, strict=True):
        assert low <= mid <= high
        assert high - low > 0
    assert forecast.model.startswith("ARIMA(")
    assert "Fourier" in forecast.model  # two full years: the seasonal shape
    assert forecast.candidates[forecast.model] == min(forecast.candidates.values())
    assert forecast.params == {
        "horizon": HORIZON, "period": 52, "alpha": 0.05, "points": 156, "nonnegative": True
    }  # fmt: skip


def test_forecast_weeks_follow_the_dated_series(series, forecast):
    assert forecast.weeks[0] == (series.index[-1] + pd.Timedelta(weeks=1)).date().isoformat()
    assert len(forecast.weeks) == HORIZON


def test_a_higher_confidence_gives_a_wider_interval():
    series = seasonal_series(40, seed=33)
    narrow, wide = fit_forecast(series, 4, alpha=0.5), fit_forecast(series, 4, alpha=0.01)
    assert narrow.forecast == pytest.approx(wide.forecast)
    assert all(
        (nh - nl) < (wh - wl)
        for nl, nh, wl, wh in zip(narrow.lower, narrow.upper, wide.lower, wide.upper, strict=True)
    )


def test_forecast_beats_the_naive_seasonal_baseline_in_backtesting(series):
    result = backtest(series, HORIZON, folds=3)
    assert result.origins == [132, 140, 148]
    assert result.baseline == "naive seasonal (52)"
    assert result.model_mae < result.baseline_mae
    assert result.model_smape < result.baseline_smape
    assert len(result.folds) == 3
    json.dumps(result.to_dict())


def test_a_short_series_falls_back_to_a_plain_arima():
    short = pd.Series([12, 15, 11, 14, 16, 13, 15, 17, 14, 16, 18, 15, 17, 19, 16, 18.0])
    result = fit_forecast(short, 4)
    assert "Fourier" not in result.model
    assert len(result.forecast) == 4
    assert all(
        lo <= f <= hi for lo, f, hi in zip(result.lower, result.forecast, result.upper, strict=True)
    )
    assert 10 < result.forecast[0] < 25
    assert result.weeks is None  # no dates given
    check = backtest(short, 4, folds=2)
    assert check.baseline == "naive (last value)"


def test_counts_are_never_forecast_below_zero():
    rare = [0, 1, 0, 0, 2, 0, 0, 1, 0, 0, 0, 1]
    result = fit_forecast(rare, 6)
    assert min(result.lower) >= 0
    unclipped = fit_forecast(rare, 6, nonnegative=False)
    assert min(unclipped.lower) < 0


def test_numpy_integers_are_whole_numbers():
    result = fit_forecast(np.arange(12.0), np.int64(2), period=np.int64(52))
    assert len(result.forecast) == 2


def test_naive_seasonal_repeats_the_last_period():
    values = [1, 2, 3, 4, 5, 6, 7]
    assert naive_seasonal(values, 3, 5).tolist() == [5, 6, 7, 5, 6]
    assert naive_seasonal(values, 1, 2).tolist() == [7, 7]


def _forecast(values, weeks=None) -> Forecast:
    return Forecast(values, values, values, "test", 0.0, weeks, {})


def test_staffing_hint_flags_the_weeks_that_reach_the_factor():
    history = [100.0] * 8
    weeks = ["2026-10-19", "2026-10-26", "2026-11-02"]
    hints = staffing_hint(_forecast([150.0, 210.0, 199.0], weeks), history, factor=2.0)
    assert [(h.step, h.ratio, h.iso_week, h.week) for h in hints] == [(2, 2.1, 44, "2026-10-26")]
    assert hints[0].recent_mean == 100.0
    assert staffing_hint(_forecast([150.0]), history, factor=1.5)[0].iso_week is None


def test_staffing_hint_from_a_real_forecast_before_the_autumn_peak():
    history = seasonal_series(130, amplitude=1.5, peak_week=43, growth=0.0, noise=0.02, seed=32)
    result = fit_forecast(history, 20)  # ends in early August, the peak is in week 43
    hints = staffing_hint(result, history, factor=1.8, recent_weeks=8)
    assert hints
    assert all(h.ratio >= 1.8 for h in hints)
    assert {h.iso_week for h in hints} & {43, 44}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fit_forecast([], 4), "empty"),
        (lambda: fit_forecast(list(range(20)), 0), "horizon"),
        (lambda: fit_forecast(list(range(20)), -3), "horizon"),
        (lambda: fit_forecast(list(range(20)), 2.5), "horizon"),
        (lambda: fit_forecast(["a", "b"] * 10, 4), "numbers only"),
        (lambda: fit_forecast([1.0, np.nan] * 10, 4), "missing"),
        (lambda: fit_forecast([1, 2, 3], 4), "at least 8"),
        (lambda: fit_forecast(list(range(20)), 4, alpha=1.0), "alpha"),
        (lambda: fit_forecast(list(range(20)), 4, period=1), "period"),
        (lambda: backtest(list(range(20)), 8, folds=3), "too few"),
        (lambda: backtest(list(range(20)), 4, folds=0), "folds"),
        (lambda: naive_seasonal([1, 2], 3, 1), "needs 3 values"),
        (lambda: naive_seasonal([1, 2], 1, 0), "horizon"),
        (lambda: staffing_hint(_forecast([1.0]), [], factor=2), "empty"),
        (lambda: staffing_hint(_forecast([1.0]), [1, 2], factor=0), "factor"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
