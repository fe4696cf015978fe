"""Stored analysis runs.

``run_analytics(*, actor, kinds=DEFAULT_KINDS, community=None) -> list[AnalyticsRun]`` reads
the features (``features``), runs each analysis through ``LocalBackend`` and stores one
``AnalyticsRun`` per kind with its parameters, data snapshot, result and duration, audited.
An analysis the data cannot support (too few residents, no demands) is stored as failed with
its reason; the others still run. ``actor`` None is the system (the nightly job).
"""

from __future__ import annotations

import math
import time as timer
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils.translation import gettext_lazy

from careloop.analytics import features
from careloop.analytics.algorithms import forecast as forecast_module
from careloop.analytics.algorithms.backend import LocalBackend
from careloop.analytics.algorithms.describe import crosstab
from careloop.analytics.algorithms.segmentation import FeatureLabel
from careloop.analytics.models import (
    AnalyticsRun,
    RunKind,
    RunStatus,
)
from careloop.analytics.selectors import ANALYTICS_ROLES
from careloop.core import audit, clock
from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import AuditOutcome, Community, User

# ---- analysis runs ----------------------------------------------------------------------------

DEFAULT_KINDS = (RunKind.DESCRIBE, RunKind.SEGMENTS, RunKind.RULES, RunKind.FORECAST)
# Segmentation first: the description then cross-tabulates the segments it found.
RUN_ORDER = (RunKind.SEGMENTS, RunKind.DESCRIBE, RunKind.RULES, RunKind.FORECAST)
SEGMENT_FEATURES = ("age", "htn", "dm", "living_alone", "children_under_6", "disability",
                    "smoker", "short_sleep", "sedentary", "steps")  # fmt: skip
SEGMENT_K_RANGE = range(2, 9)
EXTRA_LABELS = {
    "short_sleep": FeatureLabel("睡眠不足", "short sleep", "", ""),
    "sedentary": FeatureLabel("运动不足", "too little exercise", "", ""),
}
CROSSTABS = (("age_band", "sex"), ("age_band", "occupation"), ("age_band", "htn"),
             ("age_band", "dm"), ("occupation", "htn"), ("sex", "dm"))  # fmt: skip
RULES_LOOKBACK_DAYS = 365
RULES_MIN_SUPPORT = 0.01
RULES_MIN_RESIDENTS = 5  # an itemset must hold for at least this many residents too
RULES_MIN_CONFIDENCE = 0.5
RULES_MAX = 200
FORECAST_WEEKS = 156
FORECAST_HORIZON = 8
FORECAST_MIN_DEMANDS = 8  # a service with fewer demands in the period is not forecast
STAFFING_FACTOR = 2.0


@dataclass
class _Outcome:
    parameters: dict[str, Any]
    result: dict[str, Any]
    sources: dict[str, Any]


def _require_may_run(actor: User | None, community: Community | None) -> None:
    if actor is None or actor.is_superuser:
        return
    if (
        not actor.has_role(*ANALYTICS_ROLES)
        or community is None
        or (community.pk != actor.community_id)
    ):
        raise ForbiddenError(
            "analytics.forbidden", gettext_lazy("You may not run analyses for this community.")
        )


def run_analytics(
    *,
    actor: User | None,
    kinds: Iterable[str] = DEFAULT_KINDS,
    community: Community | None = None,
    backend: LocalBackend | None = None,
) -> list[AnalyticsRun]:
    """Run and store the analyses ``kinds`` for ``community`` (None: every community
    together); the runs come back in the order ``kinds`` named them."""
    wanted = list(dict.fromkeys(str(kind) for kind in kinds))
    unknown = [kind for kind in wanted if kind not in RunKind.values]
    if unknown or not wanted:
        raise DomainError(
            "analytics.invalid_kind",
            gettext_lazy("Choose analyses among: describe, segments, rules, forecast."),
            fields={"kinds": [gettext_lazy("Unknown analysis: %(kinds)s.")
                              % {"kinds": ", ".join(unknown) or "—"}]},
        )  # fmt: skip
    _require_may_run(actor, community)
    backend = backend or LocalBackend()
    now = clock.now()
    residents: features.Read | None = None
    segment_labels: np.ndarray | None = None
    runs: dict[str, AnalyticsRun] = {}
    for kind in [kind for kind in RUN_ORDER if kind in wanted]:
        started = timer.perf_counter()
        try:
            if kind in (RunKind.SEGMENTS, RunKind.DESCRIBE) and residents is None:
                residents = features.resident_features(community, today=clock.today())
            if kind == RunKind.SEGMENTS:
                assert residents is not None
                outcome, segment_labels = _segments(backend, residents)
            elif kind == RunKind.DESCRIBE:
                assert residents is not None
                outcome = _describe(backend, residents, segment_labels)
            elif kind == RunKind.RULES:
                outcome = _rules(backend, community, now)
            else:
                outcome = _forecast(backend, community)
            status, error = RunStatus.SUCCEEDED, ""
        except ValueError as exc:  # the algorithms' word for "the data cannot support this"
            outcome = _Outcome(parameters={}, result={}, sources={})
            status, error = RunStatus.FAILED, str(exc)[:500]
        duration_ms = round((timer.perf_counter() - started) * 1000)
        runs[kind] = _store_run(
            actor=actor, kind=kind, community=community, outcome=outcome, status=status,
            error=error, duration_ms=duration_ms, now=now,
        )  # fmt: skip
    return [runs[kind] for kind in wanted]


def _store_run(
    *,
    actor: User | None,
    kind: str,
    community: Community | None,
    outcome: _Outcome,
    status: str,
    error: str,
    duration_ms: int,
    now: datetime,
) -> AnalyticsRun:
    snapshot = {
        "community": community.code if community is not None else None,
        "taken_at": now.isoformat(),
        "sources": outcome.sources,
    }
    with transaction.atomic():
        run = AnalyticsRun.objects.create(
            kind=kind,
            community=community,
            parameters=_jsonable(outcome.parameters),
            snapshot=_jsonable(snapshot),
            status=status,
            result=_jsonable(outcome.result),
            error=error,
            duration_ms=duration_ms,
            created_by=actor,
            created_at=now,
        )
        audit.record(
            actor=actor,
            action="careloop.analytics.ran",
            obj=run,
            outcome=AuditOutcome.SUCCESS if status == RunStatus.SUCCEEDED else AuditOutcome.FAILURE,
            detail={"kind": kind, "community": snapshot["community"], "status": status,
                    "duration_ms": duration_ms},
        )  # fmt: skip
    return run


def _segments(backend: LocalBackend, residents: features.Read) -> tuple[_Outcome, np.ndarray]:
    frame = residents.frame
    usable = [f for f in SEGMENT_FEATURES if f in frame and frame[f].nunique(dropna=True) > 1]
    data = frame[usable].copy()
    filled = {}
    if "steps" in data and data["steps"].isna().any():
        filled["steps"] = float(data["steps"].median())
        data["steps"] = data["steps"].fillna(filled["steps"])
    result = backend.segment(
        data, features=usable, k_range=SEGMENT_K_RANGE, seed=0, labels=EXTRA_LABELS
    )
    parameters = {
        "features": usable,
        "dropped_constant": [f for f in SEGMENT_FEATURES if f not in usable],
        "filled_with_median": filled,
        **result.params,
    }
    return _Outcome(parameters, {**result.to_dict(), "residents": len(frame)},
                    residents.sources), result.labels  # fmt: skip


def _describe(
    backend: LocalBackend, residents: features.Read, segment_labels: np.ndarray | None
) -> _Outcome:
    frame = residents.frame
    conditions = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
    numeric = ["age", "steps"]
    description = backend.describe(frame, conditions=conditions, numeric=numeric)
    tables = list(CROSSTABS)
    if segment_labels is not None and len(segment_labels) == len(frame):
        frame = frame.assign(segment=pd.Categorical(segment_labels))
        tables += [("segment", "age_band"), ("segment", "sex"), ("segment", "occupation")]
    result = description.to_dict()
    result["crosstabs"] = [crosstab(frame, row, col) for row, col in tables]
    parameters = {"conditions": conditions, "numeric": numeric,
                  "crosstabs": [list(pair) for pair in tables]}  # fmt: skip
    return _Outcome(parameters, result, residents.sources)


def _rules(backend: LocalBackend, community: Community | None, now: datetime) -> _Outcome:
    since = now - timedelta(days=RULES_LOOKBACK_DAYS)
    read = features.transactions(community, since=since)
    residents = len(read.frame)
    if residents == 0:
        raise ValueError("there are no residents to mine rules from")
    min_support = max(RULES_MIN_SUPPORT, RULES_MIN_RESIDENTS / residents)
    result = backend.rules(
        read.frame,
        min_support=min_support,
        min_confidence=RULES_MIN_CONFIDENCE,
        min_lift=1.0,
        max_len=3,
        consequent_prefix="svc:",
        max_rules=RULES_MAX,
    )
    parameters = {**result.params, "lookback_days": RULES_LOOKBACK_DAYS,
                  "since": since.isoformat()}  # fmt: skip
    return _Outcome(parameters, result.to_dict(), read.sources)


def _forecast(backend: LocalBackend, community: Community | None) -> _Outcome:
    read = features.weekly_demand_counts(community, weeks=FORECAST_WEEKS)
    weekly = read.frame
    if weekly.empty:
        raise ValueError(f"no demand for a service in the last {FORECAST_WEEKS} weeks")
    if len(weekly) < forecast_module.MIN_POINTS:
        raise ValueError(
            f"{len(weekly)} weeks of demands; a forecast needs at least "
            f"{forecast_module.MIN_POINTS}"
        )
    services: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for code in weekly.columns:  # one model per service
        series = weekly[code].astype(float)
        if series.sum() < FORECAST_MIN_DEMANDS:
            skipped[code] = f"fewer than {FORECAST_MIN_DEMANDS} demands in the period"
            continue
        try:
            result = backend.forecast(series, horizon=FORECAST_HORIZON)
            hints = forecast_module.staffing_hint(result, series, factor=STAFFING_FACTOR)
        except ValueError as exc:
            skipped[code] = str(exc)
            continue
        services[code] = {
            **result.to_dict(),
            "history": series.tail(52).astype(int).tolist(),
            "history_weeks": [d.date().isoformat() for d in series.tail(52).index],
            "staffing": [hint.to_dict() for hint in hints],
        }
    parameters = {
        "weeks": FORECAST_WEEKS,
        "horizon": FORECAST_HORIZON,
        "period": 52,
        "min_demands": FORECAST_MIN_DEMANDS,
        "staffing_factor": STAFFING_FACTOR,
    }
    result_data = {
        "first_week": weekly.index[0].date().isoformat(),
        "last_week": weekly.index[-1].date().isoformat(),
        "services": services,
        "skipped": skipped,
    }
    return _Outcome(parameters, result_data, read.sources)


def _jsonable(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers and NaN/inf as None (PostgreSQL's
    jsonb has no NaN)."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
