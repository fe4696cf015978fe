"""Every write of analytics, one module per use case:

- ``runs``: ``run_analytics`` stores the population analyses (segments, description,
  association rules, forecasts) as audited ``AnalyticsRun`` rows;
- ``findings``: ``find_improvements`` records improvement findings from the ratings and
  tells the centre directors; ``set_finding_status`` moves a finding forward.

Views, the API, tasks and commands import them from here (``services.run_analytics``).
"""

from __future__ import annotations

from careloop.analytics.services.findings import (
    EVIDENCE_LIMIT,
    MIN_SAMPLE,
    THRESHOLDS,
    find_improvements,
    set_finding_status,
)
from careloop.analytics.services.runs import (
    DEFAULT_KINDS,
    FORECAST_HORIZON,
    FORECAST_MIN_DEMANDS,
    FORECAST_WEEKS,
    RULES_LOOKBACK_DAYS,
    RULES_MAX,
    RULES_MIN_CONFIDENCE,
    RULES_MIN_RESIDENTS,
    RULES_MIN_SUPPORT,
    RUN_ORDER,
    SEGMENT_FEATURES,
    SEGMENT_K_RANGE,
    STAFFING_FACTOR,
    run_analytics,
)

__all__ = [
    "DEFAULT_KINDS", "EVIDENCE_LIMIT", "FORECAST_HORIZON", "FORECAST_MIN_DEMANDS",
    "FORECAST_WEEKS", "MIN_SAMPLE", "RULES_LOOKBACK_DAYS", "RULES_MAX", "RULES_MIN_CONFIDENCE",
    "RULES_MIN_RESIDENTS", "RULES_MIN_SUPPORT", "RUN_ORDER", "SEGMENT_FEATURES",
    "SEGMENT_K_RANGE", "STAFFING_FACTOR", "THRESHOLDS", "find_improvements", "run_analytics",
    "set_finding_status",
]  # fmt: skip
