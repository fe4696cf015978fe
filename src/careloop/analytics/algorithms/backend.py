"""The analytics interface the nightly jobs and the API call, and its local implementation.

``AnalyticsBackend`` names the four analyses; ``LocalBackend`` runs them in this process
with pandas, scikit-learn, mlxtend and statsmodels (the modules beside this one). At city
scale a ``SparkBackend`` can implement the same interface over Spark DataFrames read from
Parquet exports — ``pyspark.ml.clustering.KMeans`` (with ``StandardScaler`` and
``ClusteringEvaluator`` for the silhouette), ``pyspark.ml.fpm.FPGrowth`` (which yields
antecedent, consequent, confidence, lift and support), ``groupBy`` aggregates for the
tables, and ``applyInPandas`` running ``forecast.fit_forecast`` per service — and return the
same result dataclasses, so callers and stored results do not change.

Every result is a plain dataclass with ``to_dict()`` (JSON-ready) that records the
parameters it was computed with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import pandas as pd
from joblib import Parallel, delayed

from careloop.analytics.algorithms import describe as describe_module
from careloop.analytics.algorithms import forecast as forecast_module
from careloop.analytics.algorithms import rules as rules_module
from careloop.analytics.algorithms import segmentation as segmentation_module
from careloop.analytics.algorithms.describe import Description
from careloop.analytics.algorithms.forecast import Forecast
from careloop.analytics.algorithms.rules import RulesResult
from careloop.analytics.algorithms.segmentation import FeatureLabel, SegmentationResult

Frame = TypeVar("Frame", contravariant=True)


class AnalyticsBackend(Protocol[Frame]):
    """The population analyses, over a backend's own frame type (``Frame``: a pandas
    DataFrame for ``LocalBackend``, a Spark DataFrame for a Spark backend)."""

    def describe(
        self, residents: Frame, *, conditions: Sequence[str] = (), numeric: Sequence[str] = ()
    ) -> Description:
        """Counts by age band × sex, condition prevalence by band, numeric summaries."""
        ...

    def segment(
        self,
        residents: Frame,
        *,
        features: Sequence[str],
        k_range: Sequence[int] = range(2, 9),
        seed: int = 0,
        labels: Mapping[str, FeatureLabel] | None = None,
    ) -> SegmentationResult:
        """k-means segments on standardised ``features``, k chosen by silhouette."""
        ...

    def rules(
        self,
        transactions: Frame,
        *,
        min_support: float = 0.01,
        min_confidence: float = 0.5,
        min_lift: float = 1.0,
        max_len: int = 3,
        consequent_prefix: str | None = None,
        max_rules: int | None = None,
    ) -> RulesResult:
        """Association rules over one-hot transactions."""
        ...

    def forecast(
        self,
        series: Any,
        *,
        horizon: int,
        period: int = 52,
        alpha: float = 0.05,
        backtest_folds: int = 3,
    ) -> Forecast:
        """Forecast one weekly series, with a back-test against the naive seasonal baseline."""
        ...

    def forecast_many(
        self,
        weekly: Frame,
        *,
        horizon: int,
        period: int = 52,
        alpha: float = 0.05,
        backtest_folds: int = 3,
    ) -> dict[str, Forecast]:
        """``forecast`` for every column (service) of a weeks × services frame."""
        ...


class LocalBackend:
    """``AnalyticsBackend`` over pandas DataFrames in this process. ``n_jobs`` processes
    share ``forecast_many`` (one series each; -1 = one per core)."""

    def __init__(self, *, n_jobs: int = 1) -> None:
        self.n_jobs = n_jobs

    def describe(
        self,
        residents: pd.DataFrame,
        *,
        conditions: Sequence[str] = (),
        numeric: Sequence[str] = (),
    ) -> Description:
        return describe_module.describe(residents, conditions=conditions, numeric=numeric)

    def segment(
        self,
        residents: pd.DataFrame,
        *,
        features: Sequence[str],
        k_range: Sequence[int] = range(2, 9),
        seed: int = 0,
        labels: Mapping[str, FeatureLabel] | None = None,
    ) -> SegmentationResult:
        return segmentation_module.segment(
            residents, features, k_range=k_range, seed=seed, labels=labels
        )

    def rules(
        self,
        transactions: pd.DataFrame,
        *,
        min_support: float = 0.01,
        min_confidence: float = 0.5,
        min_lift: float = 1.0,
        max_len: int = 3,
        consequent_prefix: str | None = None,
        max_rules: int | None = None,
    ) -> RulesResult:
        return rules_module.mine_rules(
            transactions,
            min_support=min_support,
            min_confidence=min_confidence,
            min_lift=min_lift,
            max_len=max_len,
            consequent_prefix=consequent_prefix,
            max_rules=max_rules,
        )

    def forecast(
        self,
        series: Any,
        *,
        horizon: int,
        period: int = 52,
        alpha: float = 0.05,
        backtest_folds: int = 3,
    ) -> Forecast:
        """The forecast, with ``backtest`` filled when ``backtest_folds`` > 0: as many folds
        (up to ``backtest_folds``) as the series is long enough for, none if it is too short."""
        result = forecast_module.fit_forecast(series, horizon, period=period, alpha=alpha)
        folds = min(backtest_folds, (len(series) - forecast_module.MIN_POINTS) // horizon)
        if folds < 1:
            return result
        check = forecast_module.backtest(series, horizon, folds, period=period, alpha=alpha)
        return replace(result, backtest=check)

    def forecast_many(
        self,
        weekly: pd.DataFrame,
        *,
        horizon: int,
        period: int = 52,
        alpha: float = 0.05,
        backtest_folds: int = 3,
    ) -> dict[str, Forecast]:
        if not isinstance(weekly, pd.DataFrame) or weekly.empty:
            raise ValueError("weekly must be a non-empty DataFrame of weeks × series")
        options = {"horizon": horizon, "period": period, "alpha": alpha,
                   "backtest_folds": backtest_folds}  # fmt: skip
        columns = [str(column) for column in weekly.columns]
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(self.forecast)(weekly[column], **options) for column in weekly.columns
        )
        return dict(zip(columns, results, strict=True))
