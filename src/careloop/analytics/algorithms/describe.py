"""Descriptive statistics and cross-tables of a resident population (seed 002 §2.2.1).

Input is a pandas DataFrame with one row per resident: ``age`` in years, ``sex``, and any
number of boolean condition columns (``htn``, ``dm`` …) and categorical columns
(``occupation``, ``segment`` …). Outputs are plain dicts and lists of Python numbers and
strings, ready for ``json.dumps`` and for the dashboard's charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

# Age bands of the national basic public health service: pre-school, school age, young
# adults, middle age, and the elderly in decades (lower bound included).
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "0–6"),
    (7, "7–17"),
    (18, "18–44"),
    (45, "45–59"),
    (60, "60–69"),
    (70, "70–79"),
    (80, "80+"),
)
BAND_LABELS = [label for _, label in AGE_BANDS]


@dataclass(frozen=True)
class Description:
    """Counts and shares by age band × sex, and each condition's prevalence by band.

    ``counts[band][sex]`` and ``shares[band][sex]`` (share of all residents) list every
    band, even empty ones (a missing sex counts as "unknown"); ``prevalence[condition][band]``
    is the share of the band's residents with the condition (``None`` for an empty band) and
    ``prevalence_all`` the share over everyone; ``numeric[column]`` summarises a numeric
    column (count, mean, sd, min, quartiles, max)."""

    total: int
    bands: list[str]
    sexes: list[str]
    counts: dict[str, dict[str, int]]
    shares: dict[str, dict[str, float]]
    band_totals: dict[str, int]
    prevalence: dict[str, dict[str, float | None]]
    prevalence_all: dict[str, float]
    numeric: dict[str, dict[str, float]]
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def age_band(ages: pd.Series | Sequence[float]) -> pd.Series:
    """The ``AGE_BANDS`` label of each age (a categorical in band order). Fractional ages
    fall in the band of their whole years (6.9 is "0–6")."""
    values = pd.Series(ages)
    if not _is_number(values):
        raise ValueError("ages must be numbers")
    if values.isna().any():
        raise ValueError("ages must not be missing")
    if (values < 0).any():
        raise ValueError("ages must not be negative")
    edges = [lower for lower, _ in AGE_BANDS] + [np.inf]
    return pd.cut(values, bins=edges, right=False, labels=BAND_LABELS)


def describe(
    residents: pd.DataFrame,
    *,
    conditions: Sequence[str] = (),
    numeric: Sequence[str] = (),
    age: str = "age",
    sex: str = "sex",
) -> Description:
    """Counts by age band × sex, the prevalence of each boolean ``conditions`` column and a
    summary of each ``numeric`` column."""
    _require_rows(residents)
    _require_columns(residents, [age, sex, *conditions, *numeric])
    for column in conditions:
        if not pd.api.types.is_bool_dtype(residents[column]):
            raise ValueError(f"condition column {column!r} must be boolean")
    for column in numeric:
        if not _is_number(residents[column]):
            raise ValueError(f"column {column!r} must be numeric")
    bands = age_band(residents[age])
    total = len(residents)
    sex_values = residents[sex].astype("string").fillna("unknown")
    sexes = sorted(sex_values.unique())
    table = pd.crosstab(bands, sex_values).reindex(index=BAND_LABELS, columns=sexes, fill_value=0)
    band_totals = table.sum(axis=1)
    # pandas-stubs types a cell as any scalar; a crosstab's cells are counts.
    counts = {band: {s: int(table.at[band, s]) for s in sexes} for band in BAND_LABELS}  # type: ignore[arg-type]
    shares = {band: {s: round(counts[band][s] / total, 6) for s in sexes} for band in BAND_LABELS}
    prevalence: dict[str, dict[str, float | None]] = {}
    for column in conditions:
        cases = residents[column].groupby(bands, observed=False).sum()
        prevalence[column] = {
            band: round(int(cases[band]) / int(band_totals[band]), 6) if band_totals[band] else None
            for band in BAND_LABELS
        }
    return Description(
        total=total,
        bands=list(BAND_LABELS),
        sexes=sexes,
        counts=counts,
        shares=shares,
        band_totals={band: int(band_totals[band]) for band in BAND_LABELS},
        prevalence=prevalence,
        prevalence_all={c: round(float(residents[c].mean()), 6) for c in conditions},
        numeric={column: _summary(residents[column]) for column in numeric},
        params={"conditions": list(conditions), "numeric": list(numeric), "age": age, "sex": sex},
    )


def crosstab(residents: pd.DataFrame, row: str, col: str) -> dict[str, Any]:
    """Counts of ``row`` × ``col`` values (``"age_band"`` may be used for either and is
    derived from ``age``). Returns ``{"row", "col", "rows", "columns", "counts", "row_totals",
    "col_totals", "total"}`` with labels as strings and ``counts[i][j]`` an int."""
    _require_rows(residents)
    left, right = _column(residents, row), _column(residents, col)
    table = pd.crosstab(left, right, dropna=False)
    if isinstance(left.dtype, pd.CategoricalDtype):
        table = table.reindex(index=left.cat.categories, fill_value=0)
    if isinstance(right.dtype, pd.CategoricalDtype):
        table = table.reindex(columns=right.cat.categories, fill_value=0)
    return {
        "row": row,
        "col": col,
        "rows": [str(label) for label in table.index],
        "columns": [str(label) for label in table.columns],
        "counts": table.to_numpy(dtype=np.int64).tolist(),
        "row_totals": table.sum(axis=1).astype(int).tolist(),
        "col_totals": table.sum(axis=0).astype(int).tolist(),
        "total": int(table.to_numpy().sum()),
    }


def _summary(values: pd.Series) -> dict[str, float]:
    present = values.dropna().astype(float)
    if present.empty:
        return {"count": 0}
    q1, median, q3 = present.quantile([0.25, 0.5, 0.75])
    stats = {
        "mean": present.mean(), "sd": present.std(ddof=1) if len(present) > 1 else 0.0,
        "min": present.min(), "q1": q1, "median": median, "q3": q3, "max": present.max(),
    }  # fmt: skip
    return {"count": len(present)} | {key: round(float(v), 4) for key, v in stats.items()}


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _column(residents: pd.DataFrame, name: str) -> pd.Series:
    if name == "age_band" and "age_band" not in residents:
        _require_columns(residents, ["age"])
        return age_band(residents["age"]).rename("age_band")
    _require_columns(residents, [name])
    return residents[name]


def _require_rows(frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError("residents must be a pandas DataFrame")
    if frame.empty:
        raise ValueError("there are no residents to describe")


def _require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
