"""Schemas of the analytics API: KPIs, stored segments and rules, forecasts, runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class KpiOut(Schema):
    code: str = Field(examples=["response_time_median_h"])
    name: str = Field(description="in the language of the request")
    value: float | None
    target: float | None
    unit: str = Field(examples=["h", "min", "%"])
    status: str = Field(description='"green", "amber", "red" or "none" (no data or no target)')
    sample: int = Field(description="demands, ratings or residents the value is computed over")
    pending: int = Field(
        description="demands counted whose outcome is still open: for the match success rate, "
        "open and unmatched with their match deadline ahead; for the identification accuracy, "
        "open suggestions the resident has not answered yet; 0 for the other KPIs"
    )
    best_case: float | None = Field(
        description="the value if every pending demand ended well (None without pending ones)"
    )
    complete: bool = Field(
        description="false while the value can still change: the month is not over (or no "
        "month was given) or some demands are pending"
    )
    provisional: bool = Field(
        description="true when the pending demands could still change the status (the "
        "dashboard then shows a neutral light, 'incomplete', instead)"
    )


class RunOut(Schema):
    """Where a stored result came from."""

    id: str
    kind: str
    community: str | None
    created_at: datetime
    duration_ms: int
    parameters: dict[str, Any]
    snapshot: dict[str, Any]


class SegmentOut(Schema):
    label: int
    size: int
    share: float
    centroid: dict[str, float]
    z_scores: dict[str, float]
    distinguishing: list[str]
    description_zh: str
    description_en: str


class SegmentsOut(Schema):
    run: RunOut
    k: int
    features: list[str]
    silhouette: dict[str, float]
    segments: list[SegmentOut]


class RuleOut(Schema):
    antecedents: list[str]
    consequents: list[str]
    support: float
    confidence: float
    lift: float


class RulesOut(Schema):
    run: RunOut
    transactions: int
    items: int
    rules: list[RuleOut]


class ForecastIn(Schema):
    """Either ``series`` (weekly counts, oldest first) or ``service_code`` (the weekly
    demands of that service in the caller's community), and the weeks to forecast."""

    model_config = ConfigDict(extra="forbid")

    series: list[float] | None = Field(None, examples=[[12, 15, 11, 14, 18, 16, 13, 17, 19]])
    service_code: str | None = Field(None, max_length=60, examples=["basic.vaccination"])
    horizon: int = Field(ge=1, le=52, examples=[8])


class BacktestOut(Schema):
    horizon: int
    model_mae: float
    baseline_mae: float
    model_smape: float
    baseline_smape: float
    baseline: str


class ForecastOut(Schema):
    forecast: list[float]
    lower: list[float]
    upper: list[float]
    model: str
    weeks: list[str] | None = Field(description="Mondays of the forecast weeks, when known")
    backtest: BacktestOut | None = Field(
        description="errors of the model and of the naive seasonal baseline, back-tested"
    )


class RunsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kinds: list[str] = Field(
        default_factory=lambda: ["describe", "segments", "rules", "forecast"],
        examples=[["segments", "rules"]],
    )


class RunsQueuedOut(Schema):
    status: str = Field(examples=["queued"])
    kinds: list[str]
    community: str | None
