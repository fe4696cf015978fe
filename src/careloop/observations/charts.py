"""What the pages show about readings: chart series with threshold bands and alert markers
(drawn by ``static/observations/charts.js`` with Plotly) and the plain-language status of a
resident's latest readings. Thresholds come from the active alert rules, so the bands move
when a director edits a rule. Pure presentation: callers pass rows they read through the
scoped selectors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.observations import codes, rules
from careloop.observations.models import Alert, AlertRule, Observation, ObservationCode

# Which alert rules belong on which chart.
CHART_RULES = {
    "bp": ("bp-high", "bp-fluctuation"),
    "glucose": ("glucose-high", "glucose-low"),
    "steps": ("activity-drop",),
}
RANGE_PAD = timedelta(hours=18)
# Office thresholds (DOMAIN.md) when the rule is missing or names none.
DEFAULT_BP_TIERS = [
    {"severity": rules.ROUTINE, "systolic": 140.0, "diastolic": 90.0},
    {"severity": rules.URGENT, "systolic": 180.0, "diastolic": 110.0},
]
DEFAULT_GLUCOSE = {"high": 7.0, "low": 3.9}

# Plain words for a resident (msgids translated to 正常 / 偏高 / 偏低 / 很高 …).
NORMAL, HIGH, VERY_HIGH, LOW, VERY_LOW = "normal", "high", "very_high", "low", "very_low"


def status_label(status: str) -> str:
    return {
        NORMAL: _("Normal"),
        HIGH: _("High"),
        VERY_HIGH: _("Very high"),
        LOW: _("Low"),
        VERY_LOW: _("Very low"),
    }[status]


def _iso(moment: datetime, tz: tzinfo) -> str:
    return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H:%M:%S")


def _limits(
    rule: AlertRule | None, *, field: str, sources: str = "clinic"
) -> list[tuple[str, float]]:
    """``(severity, limit)`` of each tier of a threshold rule that tests ``field`` and applies to
    readings from ``sources`` (tiers naming no source apply to all)."""
    if rule is None or rule.kind != rules.THRESHOLD:
        return []
    found = []
    for tier in rule.parameters.get("tiers", []):
        if "sources" in tier and sources not in tier["sources"]:
            continue
        if "codes" in tier and not set(tier["codes"]) & {codes.GLUCOSE_FASTING, codes.BP}:
            continue
        for name, _op, limit in tier.get("any", []):
            if rules.FIELDS.get(name) == rules.FIELDS[field]:
                found.append((tier["severity"], float(limit)))
    return found


def bp_tiers(active: Mapping[str, AlertRule]) -> list[dict[str, Any]]:
    """Office blood-pressure thresholds, mildest first: ``[{severity, systolic, diastolic}]``."""
    rule = active.get("bp-high")
    systolic = dict(_limits(rule, field="systolic"))
    diastolic = dict(_limits(rule, field="diastolic"))
    tiers: list[dict[str, Any]] = [
        {"severity": severity, "systolic": systolic[severity], "diastolic": diastolic[severity]}
        for severity in systolic
        if severity in diastolic
    ]
    tiers.sort(key=lambda t: t["systolic"])
    return tiers or DEFAULT_BP_TIERS


def glucose_limits(active: Mapping[str, AlertRule]) -> dict[str, float]:
    """The fasting-glucose high limit and the mildest low limit."""
    high = [limit for _s, limit in _limits(active.get("glucose-high"), field="value")]
    low = [limit for _s, limit in _limits(active.get("glucose-low"), field="value")]
    return {
        "high": min(high) if high else DEFAULT_GLUCOSE["high"],
        "low": max(low) if low else DEFAULT_GLUCOSE["low"],
    }


def _marker(alert: Alert, tz: tzinfo) -> dict[str, Any] | None:
    reading = alert.last_reading
    if reading is None:
        return None
    return {
        "x": _iso(reading.effective_at, tz),
        "y": float(reading.value),
        "text": f"{alert.rule.display_name} · {alert.get_severity_display()} · "
        f"{alert.get_status_display()}",
        "severity": alert.severity,
    }


def chart_data(
    readings: Iterable[Observation],
    alerts: Iterable[Alert],
    active_rules: Iterable[AlertRule],
    *,
    since: datetime,
    until: datetime,
) -> dict[str, Any]:
    """The JSON the charts script draws: one entry per chart with its series, threshold
    lines and alert markers. Steps are daily totals (the largest counter of a local day)."""
    tz = timezone.get_current_timezone()
    active = {rule.code: rule for rule in active_rules}
    bp: dict[str, list[Any]] = {"x": [], "systolic": [], "diastolic": []}
    glucose: dict[str, list[Any]] = {"x": [], "y": [], "kind": []}
    steps_by_day: dict[str, float] = {}
    kinds = {value: str(label) for value, label in ObservationCode.choices}
    for obs in sorted(readings, key=lambda r: r.effective_at):
        if obs.code == codes.BP:
            bp["x"].append(_iso(obs.effective_at, tz))
            bp["systolic"].append(float(obs.value))
            bp["diastolic"].append(float(obs.value2) if obs.value2 is not None else None)
        elif obs.code in codes.GLUCOSE_CODES:
            glucose["x"].append(_iso(obs.effective_at, tz))
            glucose["y"].append(float(obs.value))
            glucose["kind"].append(kinds.get(obs.code, obs.code))
        elif obs.code == codes.STEPS:
            day = timezone.localtime(obs.effective_at, tz).date().isoformat()
            steps_by_day[day] = max(steps_by_day.get(day, 0.0), float(obs.value))
    markers: dict[str, list[dict[str, Any]]] = {key: [] for key in CHART_RULES}
    for alert in alerts:
        for key, rule_codes in CHART_RULES.items():
            if alert.rule_code in rule_codes and (marker := _marker(alert, tz)):
                markers[key].append(marker)
    days = sorted(steps_by_day)
    return {
        # A little room after the newest reading, so its marker is not cut in half.
        "range": [_iso(since, tz), _iso(until + RANGE_PAD, tz)],
        "labels": {
            "systolic": _("Systolic"),
            "diastolic": _("Diastolic"),
            "glucose": _("Glucose"),
            "steps": _("Steps"),
            "alert": _("Alert"),
            "routine": _("Review"),
            "urgent": _("Urgent"),
            "high": _("High"),
            "low": _("Low"),
        },
        "bp": {
            **bp,
            "unit": "mmHg",
            "thresholds": bp_tiers(active),
            "alerts": markers["bp"],
        },
        "glucose": {
            **glucose,
            "unit": "mmol/L",
            "thresholds": glucose_limits(active),
            "alerts": markers["glucose"],
        },
        "steps": {
            "x": days,
            "y": [steps_by_day[d] for d in days],
            "unit": "",
            "alerts": markers["steps"],
        },
    }


# ---- a resident's latest readings -----------------------------------------------------------


def _as_reading(obs: Observation) -> rules.Reading:
    local = timezone.localtime(obs.effective_at)
    return rules.Reading(
        code=obs.code,
        value=float(obs.value),
        value2=float(obs.value2) if obs.value2 is not None else None,
        effective_at=obs.effective_at,
        day=local.date(),
        source=obs.source,
    )


def reading_status(obs: Observation, active_rules: Sequence[AlertRule]) -> str:
    """Normal / high / very high / low / very low for one reading, judged by the active
    threshold rules as the alerts are (``routine`` → high or low, worse → very)."""
    reading = _as_reading(obs)
    for rule in active_rules:
        if rule.kind != rules.THRESHOLD or obs.code not in rule.parameters.get("codes", ()):
            continue
        severity = rules.tier_severity(rule.as_rule(), reading)
        if severity is None:
            continue
        low = rule.code.endswith("-low")
        if severity == rules.ROUTINE:
            return LOW if low else HIGH
        return VERY_LOW if low else VERY_HIGH
    return NORMAL
