"""What every dashboard chart is made of: the scope, ``Table``, ``Chart``, the Plotly figure
builder and how numbers, units and months are written.

Every chart is a ``Chart``: a key (``kpis``, ``trend-<KPI code>``, ``quadrant``,
``deadlines``, ``segments``, ``rules``, ``forecast``, ``findings``), a title, a Plotly figure
as plain JSON (``None`` for table-only charts) and a ``Table`` of the same numbers. Figures
are built with ``plotly.graph_objects`` (validated) and the empty ``"none"`` template, so the
page carries only what it draws.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import formats
from django.utils.translation import get_language, pgettext

from careloop.analytics.kpis import AMBER, GREEN, NONE, RED
from careloop.catalogue.models import Service
from careloop.core.models import Community
from careloop.residents.models import CareTeam

INK, SOFT, LINE, BRAND = "#1f2933", "#52606d", "#d9e2ec", "#0b6e69"
PENDING = "pending"  # the light of a KPI whose open work can still change its status
STATUS_COLOURS = {GREEN: "#1e8e3e", AMBER: "#d97706", RED: "#c62828", NONE: "#7b8794",
                  PENDING: "#9aa5b1"}  # fmt: skip
FONT = "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', system-ui, sans-serif"


@dataclass(frozen=True)
class Scope:
    """The filters after ``selectors.scope_for``: community (None: every community, for a
    superuser), team, service and the month's first day."""

    community: Community | None
    team: CareTeam | None
    service: Service | None
    month: date


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Chart:
    key: str
    title: str
    figure: dict[str, Any] | None
    table: Table
    note: str = ""


# ---- words and numbers ------------------------------------------------------------------------


def number(value: float | None) -> str:
    """A KPI figure as shown: at most two decimals, no trailing zeros; "—" for none."""
    if value is None:
        return "—"
    return f"{round(float(value), 2):g}"


def unit_label(unit: str) -> str:
    return {"h": pgettext("unit", "h"), "min": pgettext("unit", "min")}.get(unit, unit)


def month_key(month: date) -> str:
    """The month as ``YYYY-MM``: query strings, file names, the month input and CSV columns
    (machine-readable and sortable)."""
    return f"{month:%Y-%m}"


def month_label(month: date) -> str:
    """The month as people read it, in the active language: "2026年3月", "March 2026"."""
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def month_tick(month: date) -> str:
    """A short month for chart axes and hovers: "2026年3月", "Mar 2026"."""
    # Translators: a Django date format for a month on a chart axis (M: "Mar", n: 3, Y: 2026).
    return formats.date_format(month, pgettext("month on a chart axis", "M Y"))


def is_chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def service_names(codes: Iterable[str]) -> dict[str, str]:
    return {s.code: s.name for s in Service.objects.filter(code__in=set(codes))}


# ---- figures ----------------------------------------------------------------------------------


def make_figure(traces: Sequence[Any], **layout: Any) -> dict[str, Any]:
    import plotly.graph_objects as go

    base: dict[str, Any] = {
        "template": "none",
        "height": 260,
        "margin": {"l": 56, "r": 16, "t": 16, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 14, "color": INK},
        "legend": {"orientation": "h", "x": 0, "y": -0.2, "font": {"color": SOFT}},
        "hovermode": "closest",
        "separators": ".,",
    }
    for axis in ("xaxis", "yaxis"):
        base[axis] = {"gridcolor": LINE, "linecolor": LINE, "zeroline": False,
                      "automargin": True, **layout.pop(axis, {})}  # fmt: skip
    figure = go.Figure(data=list(traces), layout={**base, **layout})
    spec: dict[str, Any] = json.loads(figure.to_json())
    return spec


def month_axis(months: Sequence[date]) -> list[str]:
    return [m.isoformat() for m in months]


def month_ticks(months: Sequence[date]) -> dict[str, Any]:
    """A date x-axis labelled every other month (the last one always), in the active
    language: Plotly's own ``tickformat`` would write English month names."""
    shown = list(months)[(len(months) - 1) % 2 :: 2]
    return {"tickmode": "array", "tickvals": month_axis(shown),
            "ticktext": [month_tick(m) for m in shown]}  # fmt: skip
