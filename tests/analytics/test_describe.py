"""Descriptive statistics and cross-tables on a hand-made population."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from careloop.analytics.algorithms.describe import BAND_LABELS, age_band, crosstab, describe


def _residents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [3, 6.9, 7, 17, 18, 44, 45, 59, 60, 69, 70, 79, 80, 101],
            "sex": ["F", "M", "F", "F", "M", "M", "F", "M", "F", "F", "M", "F", "F", "M"],
            "htn": [False] * 6 + [True, False, True, True, True, False, True, True],
            "dm": [False] * 8 + [True, False, False, False, True, False],
            "occupation": ["child"] * 4 + ["office", "office", "office", "worker"]
            + ["retired"] * 6,
        }
    )  # fmt: skip


def test_age_bands_include_their_lower_bound_and_end_before_the_next():
    bands = age_band(pd.Series([0, 6, 6.99, 7, 17, 18, 44, 45, 59, 60, 69, 70, 79, 80, 120]))
    assert list(bands.astype(str)) == [
        "0–6", "0–6", "0–6", "7–17", "7–17", "18–44", "18–44", "45–59", "45–59",
        "60–69", "60–69", "70–79", "70–79", "80+", "80+",
    ]  # fmt: skip
    assert list(bands.cat.categories) == BAND_LABELS


def test_counts_shares_and_prevalence_are_exact():
    result = describe(_residents(), conditions=["htn", "dm"], numeric=["age"])

    assert result.total == 14
    assert result.sexes == ["F", "M"]
    assert result.counts == {
        "0–6": {"F": 1, "M": 1},
        "7–17": {"F": 2, "M": 0},
        "18–44": {"F": 0, "M": 2},
        "45–59": {"F": 1, "M": 1},
        "60–69": {"F": 2, "M": 0},
        "70–79": {"F": 1, "M": 1},
        "80+": {"F": 1, "M": 1},
    }
    assert result.band_totals == {
        "0–6": 2, "7–17": 2, "18–44": 2, "45–59": 2, "60–69": 2, "70–79": 2, "80+": 2
    }  # fmt: skip
    assert result.shares["7–17"] == {"F": round(2 / 14, 6), "M": 0.0}
    assert result.prevalence["htn"] == {
        "0–6": 0.0, "7–17": 0.0, "18–44": 0.0, "45–59": 0.5, "60–69": 1.0, "70–79": 0.5,
        "80+": 1.0,
    }  # fmt: skip
    assert result.prevalence["dm"]["60–69"] == 0.5
    assert result.prevalence["dm"]["80+"] == 0.5
    assert result.prevalence_all == {"htn": round(6 / 14, 6), "dm": round(2 / 14, 6)}
    assert result.numeric["age"]["count"] == 14
    assert result.numeric["age"]["min"] == 3.0
    assert result.numeric["age"]["max"] == 101.0
    assert result.numeric["age"]["median"] == 52.0
    json.dumps(result.to_dict())


def test_an_empty_band_has_no_prevalence_rather_than_zero():
    elders = _residents().query("age >= 60")
    result = describe(elders, conditions=["htn"])
    assert result.prevalence["htn"]["0–6"] is None
    assert result.counts["0–6"] == {"F": 0, "M": 0}
    assert result.total == 6


def test_crosstab_counts_with_totals():
    table = crosstab(_residents(), "occupation", "sex")
    assert table["rows"] == ["child", "office", "retired", "worker"]
    assert table["columns"] == ["F", "M"]
    assert table["counts"] == [[3, 1], [1, 2], [4, 2], [0, 1]]
    assert table["row_totals"] == [4, 3, 6, 1]
    assert table["col_totals"] == [8, 6]
    assert table["total"] == 14
    json.dumps(table)


def test_crosstab_by_derived_age_band_lists_every_band():
    table = crosstab(_residents().query("age >= 18"), "age_band", "htn")
    assert table["rows"] == BAND_LABELS
    assert table["columns"] == ["False", "True"]
    assert table["counts"][0] == [0, 0]  # no children in this subset
    assert table["counts"][BAND_LABELS.index("60–69")] == [0, 2]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: describe(pd.DataFrame({"age": [], "sex": []})), "no residents"),
        (lambda: describe(_residents(), conditions=["copd"]), "missing column"),
        (lambda: describe(_residents(), conditions=["occupation"]), "must be boolean"),
        (lambda: describe(_residents(), numeric=["sex"]), "must be numeric"),
        (lambda: age_band([30, -1]), "negative"),
        (lambda: age_band(["thirty"]), "numbers"),
        (lambda: crosstab(_residents(), "occupation", "segment"), "missing column"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
