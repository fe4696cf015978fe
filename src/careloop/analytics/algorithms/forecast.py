"""Weekly demand forecasting with statsmodels SARIMAX, a naive seasonal baseline, rolling-
origin back-tests and staffing hints (seed 002 §2.2: "forecast demand to plan supply").

Models are fitted with ``statsmodels.tsa.arima.model.ARIMA``, the SARIMAX state-space model
with regression terms estimated alongside (several times faster and more often converged
than plain ``SARIMAX`` with a ``ct`` trend on these series). The model is chosen from a
small grid by AIC, in one of two shapes depending on how much history there is; its name
reads like "ARIMA(1,0,1) trend=ct + Fourier(K=4, period=52)".

- **seasonal** (a full period and ``MIN_POINTS`` more, so the trend is not guessed from the
  seasonal shape alone): a regression on a linear trend and ``K`` Fourier pairs of the
  period with ARMA(p, q) errors — "dynamic harmonic regression", the form Hyndman &
  Athanasopoulos (*Forecasting: Principles and Practice*, §12.1) recommend for weekly data,
  whose period (52) is too long for a seasonal ARMA polynomial to fit quickly or stably.
  The grid is ``K`` in ``FOURIER_TERMS`` × ``(p, q)`` in ``SEASONAL_ARMA``. (Requiring two
  full periods instead made back-tests with 1–2 years of history lose to the naive
  seasonal baseline on most synthetic services.)
- **short**: a plain ARIMA(p, d, q) with a constant (a drift when d = 1); ``d`` is 1 when the
  KPSS test rejects level-stationarity at 5 %, as ``auto.arima`` does. Grid
  ``SHORT_ARMA``.

Counts cannot be negative, so by default the forecast and both bounds are clipped at zero.
Every function raises ``ValueError`` with a plain message on unusable input.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.stattools import kpss
from threadpoolctl import threadpool_limits

MIN_POINTS = 8  # fewer weekly values than this carry no usable signal
FOURIER_TERMS = (2, 4, 6)
SEASONAL_ARMA = ((1, 0), (1, 1))  # short-memory errors around the seasonal shape
SHORT_ARMA = ((0, 0), (1, 0), (0, 1), (1, 1))

Series = Sequence[float] | np.ndarray | pd.Series


@dataclass(frozen=True)
class Forecast:
    """``horizon`` future values with a ``1 - alpha`` prediction interval (``lower``,
    ``upper``), the chosen ``model`` with its AIC and the AIC of every candidate tried.
    ``weeks`` holds the ISO dates of the forecast weeks when the input series had a
    DatetimeIndex; ``backtest`` is filled by ``LocalBackend.forecast``."""

    forecast: list[float]
    lower: list[float]
    upper: list[float]
    model: str
    aic: float
    weeks: list[str] | None
    params: dict[str, Any]
    candidates: dict[str, float] = field(default_factory=dict)  # model → AIC
    backtest: Backtest | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Backtest:
    """Errors of the model and of the naive seasonal baseline over rolling origins: the
    series is cut at ``origins``, both forecast the next ``horizon`` weeks, and the errors
    against what happened are averaged. sMAPE is in percent (0–200)."""

    horizon: int
    origins: list[int]
    model_mae: float
    baseline_mae: float
    model_smape: float
    baseline_smape: float
    baseline: str
    folds: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StaffingHint:
    """A forecast week whose expected demand is ``ratio`` times the recent weekly mean.
    ``step`` counts from 1 (the week after the data); ``iso_week``/``week`` are set when the
    series was dated. Structured, not worded: the caller translates it."""

    step: int
    expected: float
    recent_mean: float
    ratio: float
    week: str | None = None
    iso_week: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_forecast(
    series: Series,
    horizon: int,
    *,
    period: int = 52,
    alpha: float = 0.05,
    nonnegative: bool = True,
) -> Forecast:
    """Choose a model by AIC (see the module docstring), fit it and forecast ``horizon``
    steps with a ``1 - alpha`` prediction interval."""
    values, index = _as_values(series)
    horizon, period = _check_options(horizon, period, alpha)
    with _one_thread():
        choice = _select(values, period)
        mean, lower, upper = _predict(choice, len(values), horizon, alpha, nonnegative)
    return Forecast(
        forecast=_rounded(mean),
        lower=_rounded(lower),
        upper=_rounded(upper),
        model=choice.spec.name,
        aic=round(float(choice.result.aic), 2),
        weeks=_future_weeks(index, horizon),
        params={"horizon": horizon, "period": period, "alpha": alpha, "points": len(values),
                "nonnegative": nonnegative},
        candidates=choice.aics,
    )  # fmt: skip


def naive_seasonal(series: Series, period: int, horizon: int) -> np.ndarray:
    """The baseline: each future week repeats the same week one period earlier
    (``y[t + h] = y[t + h - period]``, cycling when ``horizon > period``)."""
    values, _ = _as_values(series, minimum=1)
    horizon = _check_horizon(horizon)
    if not _whole(period) or period < 1:
        raise ValueError(f"period must be at least 1, got {period}")
    if len(values) < period:
        raise ValueError(f"the naive seasonal baseline needs {period} values, got {len(values)}")
    last = values[-period:]
    return np.asarray([last[h % period] for h in range(horizon)], dtype=float)


def backtest(
    series: Series,
    horizon: int,
    folds: int = 3,
    *,
    period: int = 52,
    alpha: float = 0.05,
) -> Backtest:
    """Rolling-origin evaluation: ``folds`` origins ``horizon`` weeks apart, the last one
    ``horizon`` weeks before the end. The model is chosen by AIC on the history before the
    first origin (no look-ahead; chosen again at the first origin whose history is long
    enough for the seasonal shape), refitted on the history before each origin and compared
    with the naive seasonal baseline (plain naive, the last value, when the history is
    shorter than ``period``)."""
    values, _ = _as_values(series)
    horizon, period = _check_options(horizon, period, alpha)
    if folds < 1:
        raise ValueError(f"folds must be at least 1, got {folds}")
    first = len(values) - horizon * folds
    if first < MIN_POINTS:
        raise ValueError(
            f"{len(values)} values are too few for {folds} folds of {horizon} weeks "
            f"(each fold needs at least {MIN_POINTS} weeks of history)"
        )
    origins = [first + horizon * i for i in range(folds)]
    rows = []
    baselines = set()
    with _one_thread():
        choice: _Choice | None = None
        for origin in origins:
            history, actual = values[:origin], values[origin : origin + horizon]
            if choice is None or _seasonal(history, period) != bool(choice.spec.fourier):
                choice = fold = _select(history, period)
            else:
                refit = _fit(history, choice.spec, start=choice.result.params)
                fold = _Choice(choice.spec, refit, {}) if refit else _select(history, period)
            predicted = _predict(fold, origin, horizon, alpha, nonnegative=True)[0]
            cycle = period if origin >= period else 1
            baselines.add(f"naive seasonal ({period})" if cycle > 1 else "naive (last value)")
            base = naive_seasonal(history, cycle, horizon)
            rows.append(
                {"origin": origin, "model": fold.spec.name,
                 "model_mae": round(_mae(actual, predicted), 3),
                 "baseline_mae": round(_mae(actual, base), 3),
                 "model_smape": round(_smape(actual, predicted), 3),
                 "baseline_smape": round(_smape(actual, base), 3)}
            )  # fmt: skip
    return Backtest(
        horizon=horizon,
        origins=origins,
        model_mae=_mean(rows, "model_mae"),
        baseline_mae=_mean(rows, "baseline_mae"),
        model_smape=_mean(rows, "model_smape"),
        baseline_smape=_mean(rows, "baseline_smape"),
        baseline=" / ".join(sorted(baselines)),
        folds=rows,
    )


def staffing_hint(
    forecast: Forecast, history: Series, *, factor: float = 2.0, recent_weeks: int = 8
) -> list[StaffingHint]:
    """The forecast weeks expected to reach ``factor`` times the mean of the last
    ``recent_weeks`` weeks of ``history`` ("flu vaccine enquiries expected to double in week
    44"). A recent mean below 1 a week counts as 1, so a service starting from nothing still
    raises a hint once it expects ``factor`` requests a week."""
    values, _ = _as_values(history, minimum=1)
    if factor <= 0:
        raise ValueError(f"factor must be positive, got {factor}")
    if recent_weeks < 1:
        raise ValueError(f"recent_weeks must be at least 1, got {recent_weeks}")
    recent = float(np.mean(values[-recent_weeks:]))
    base = max(recent, 1.0)
    hints = []
    for step, expected in enumerate(forecast.forecast, start=1):
        if expected >= factor * base:
            week = forecast.weeks[step - 1] if forecast.weeks else None
            iso_week = pd.Timestamp(week).isocalendar()[1] if week else None
            hints.append(
                StaffingHint(step=step, expected=expected, recent_mean=round(recent, 3),
                             ratio=round(expected / base, 3), week=week, iso_week=iso_week)
            )  # fmt: skip
    return hints


@dataclass(frozen=True)
class _Spec:
    """One candidate model: ARIMA order, trend and (for the seasonal shape) Fourier pairs."""

    order: tuple[int, int, int]
    trend: str
    fourier: int = 0
    period: int = 52

    @property
    def name(self) -> str:
        p, d, q = self.order
        name = f"ARIMA({p},{d},{q}) trend={self.trend}"
        if self.fourier:
            name += f" + Fourier(K={self.fourier}, period={self.period})"
        return name

    def exog(self, start: int, steps: int) -> np.ndarray:
        """Fourier terms for time steps ``start .. start + steps - 1``."""
        t = np.arange(start, start + steps)[:, None]
        k = np.arange(1, self.fourier + 1)[None, :]
        angle = 2 * np.pi * k * t / self.period
        return np.hstack([np.sin(angle), np.cos(angle)])


@dataclass(frozen=True)
class _Choice:
    """A fitted candidate and the AIC of every candidate tried (model name → AIC)."""

    spec: _Spec
    result: Any
    aics: dict[str, float]


def _select(values: np.ndarray, period: int) -> _Choice:
    """Fit every candidate of the shape the history allows; keep the lowest AIC."""
    seasonal = _seasonal(values, period)
    candidates = _seasonal_candidates(period) if seasonal else _short_candidates(values)
    fitted = [(spec, _fit(values, spec)) for spec in candidates]
    usable = [(spec, r) for spec, r in fitted if r is not None and math.isfinite(r.aic)]
    if not usable:
        raise ValueError("no model could be fitted to this series")
    spec, result = min(usable, key=lambda pair: pair[1].aic)
    return _Choice(spec, result, {s.name: round(float(r.aic), 2) for s, r in usable})


def _seasonal(values: np.ndarray, period: int) -> bool:
    """Whether the history is long enough for the seasonal shape (see the module docstring)."""
    return len(values) >= period + MIN_POINTS


def _seasonal_candidates(period: int) -> list[_Spec]:
    terms = [k for k in FOURIER_TERMS if 2 * k <= period] or [1]
    return [_Spec((p, 0, q), "ct", k, period) for k in terms for p, q in SEASONAL_ARMA]


def _short_candidates(values: np.ndarray) -> list[_Spec]:
    d = 1 if _kpss_rejects(values) else 0
    trend = "t" if d else "c"  # a drift once differenced, a level otherwise
    return [_Spec((p, d, q), trend) for p, q in SHORT_ARMA]


def _kpss_rejects(values: np.ndarray) -> bool:
    if np.ptp(values) == 0:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # p-values outside the table come with a warning
        return bool(kpss(values, regression="c", nlags="auto")[1] < 0.05)


def _fit(values: np.ndarray, spec: _Spec, start: np.ndarray | None = None) -> Any:
    """The fitted ARIMA results (statsmodels' SARIMAX state-space model), or None."""
    exog = spec.exog(0, len(values)) if spec.fourier else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and start-parameter warnings
        try:
            model = ARIMA(values, exog=exog, order=spec.order, trend=spec.trend)
            return model.fit(start_params=start)
        except (np.linalg.LinAlgError, ValueError):
            return None


def _predict(
    choice: _Choice, start: int, horizon: int, alpha: float, nonnegative: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and interval bounds for the ``horizon`` steps after time step ``start``."""
    exog = choice.spec.exog(start, horizon) if choice.spec.fourier else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prediction = choice.result.get_forecast(horizon, exog=exog)
        mean = np.asarray(prediction.predicted_mean, dtype=float)
        bounds = np.asarray(prediction.conf_int(alpha=alpha), dtype=float)
    lower, upper = bounds[:, 0], bounds[:, 1]
    if nonnegative:
        mean, lower, upper = (np.clip(a, 0, None) for a in (mean, lower, upper))
    return mean, lower, upper


def _one_thread() -> threadpool_limits:
    """BLAS on one thread: the matrices are tiny, and threads only contend with each other
    (fits ran 5× slower with them on a busy 2-core machine)."""
    return threadpool_limits(limits=1, user_api="blas")


def _as_values(series: Series, *, minimum: int = MIN_POINTS) -> tuple[np.ndarray, Any]:
    """The series as floats (and its DatetimeIndex if it has one), or ValueError."""
    index = series.index if isinstance(series, pd.Series) else None
    try:
        values = np.asarray(series, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("the series must contain numbers only") from None
    if values.ndim != 1:
        raise ValueError("the series must be one-dimensional")
    if len(values) == 0:
        raise ValueError("the series is empty")
    if not np.isfinite(values).all():
        raise ValueError("the series contains missing or infinite values")
    if len(values) < minimum:
        raise ValueError(f"the series needs at least {minimum} values, got {len(values)}")
    return values, index if isinstance(index, pd.DatetimeIndex) else None


def _check_options(horizon: int, period: int, alpha: float) -> tuple[int, int]:
    """``horizon`` and ``period`` as plain ints, or ValueError."""
    if not _whole(period) or period < 2:
        raise ValueError(f"period must be a whole number of at least 2, got {period!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return _check_horizon(horizon), int(period)


def _check_horizon(horizon: int) -> int:
    if not _whole(horizon) or horizon <= 0:
        raise ValueError(f"horizon must be a positive whole number of weeks, got {horizon!r}")
    return int(horizon)


def _whole(value: object) -> bool:
    """An int or a numpy integer, not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _future_weeks(index: pd.DatetimeIndex | None, horizon: int) -> list[str] | None:
    if index is None or len(index) < 2:
        return None
    step = index[-1] - index[-2]
    return [(index[-1] + step * h).date().isoformat() for h in range(1, horizon + 1)]


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in values]


def _mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - predicted)))


def _smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    denominator = np.abs(actual) + np.abs(predicted)
    ratio = np.divide(
        2 * np.abs(actual - predicted),
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )
    return float(100 * np.mean(ratio))


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    return round(float(np.mean([row[key] for row in rows])), 3)
