"""The dashboard's indicators: KPI tiles against their targets, the 12-month trend of each
KPI, and open demands by priority quadrant and by next deadline.

Definitions:

- open demands are those in ``OPEN_STATUSES``; the team filter keeps residents whose contract
  in force is with the team, the service filter the demands of that service;
- a demand's next deadline is ``due_respond_at`` while nobody has accepted it, then
  ``due_match_at`` until it is booked; booked or started demands have none. "Overdue" is a
  deadline already past, "due today" before local midnight, "due this week" after today and
  before Monday 00:00 (Asia/Shanghai);
- the month chosen is "month to date" while it is not over: demands count in the month they
  were filed in (DOMAIN.md), so its match success rate and identification accuracy include
  demands still within their match deadline and suggestions the resident has not answered
  yet. A tile whose open work could still change its traffic light (``KpiValue.provisional``)
  shows a neutral "incomplete" light instead, with how many demands are still open and the
  best the rate can still reach, and last month's figure to compare with; a light that open
  work can no longer change is shown as it is, even in the current month. In the trend
  charts the point of a month not over yet is hollow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from careloop.analytics import kpis as kpi_module
from careloop.analytics import selectors
from careloop.analytics.charts.base import (
    BRAND,
    PENDING,
    SOFT,
    STATUS_COLOURS,
    Chart,
    Scope,
    Table,
    make_figure,
    month_axis,
    month_key,
    month_tick,
    month_ticks,
    number,
    unit_label,
)
from careloop.analytics.control_rates import ResidentIdRow
from careloop.analytics.kpis import AMBER, GREEN, RED, KpiValue
from careloop.core import clock
from careloop.core.models import User
from careloop.demands.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Demand,
    DemandStatus,
    Quadrant,
)
from careloop.demands.selectors import demands_visible_to
from careloop.residents.models import CareContract, CareTeam, ContractStatus

TREND_MONTHS = 12
UNBOOKED = (*WAITING_STATUSES, DemandStatus.ACCEPTED)


@dataclass(frozen=True)
class Tile:
    """One KPI as the dashboard shows it; ``previous`` is the value of the month before
    (from its trend), ``month_to_date`` whether the month is not over yet."""

    kpi: KpiValue
    higher_is_better: bool
    previous: float | None = None
    month_to_date: bool = False

    @property
    def value(self) -> str:
        return number(self.kpi.value)

    @property
    def unit(self) -> str:
        return unit_label(self.kpi.unit)

    @property
    def target(self) -> str:
        if self.kpi.target is None:
            return _("No target yet")
        values = {"target": number(self.kpi.target), "unit": self.unit}
        if self.higher_is_better:
            return _("Target ≥ %(target)s %(unit)s") % values
        return _("Target ≤ %(target)s %(unit)s") % values

    @property
    def light(self) -> str:
        """The traffic light shown: the KPI's status, or "pending" while open work can
        still change it."""
        return PENDING if self.kpi.provisional else self.kpi.status

    @property
    def status(self) -> str:
        return status_label(self.kpi)

    @property
    def relative_target(self) -> bool:
        return kpi_module.KPIS[self.kpi.code].target is None

    @property
    def pending_note(self) -> str:
        """How much of the sample is still open, and the best the rate can still reach."""
        kpi = self.kpi
        if not kpi.pending or kpi.best_case is None:
            return ""
        values = {"count": kpi.pending, "best": number(kpi.best_case)}
        if kpi.code == "match_success_rate":
            return (
                ngettext(
                    "%(count)s of these demands is still within its match deadline; if it is "
                    "matched in time, the rate reaches %(best)s %%.",
                    "%(count)s of these demands are still within their match deadline; if all are "
                    "matched in time, the rate reaches %(best)s %%.",
                    kpi.pending,
                )
                % values
            )
        return (
            ngettext(
                "%(count)s suggestion still awaits the resident's answer; if it is confirmed, "
                "the accuracy reaches %(best)s %%.",
                "%(count)s suggestions still await the residents' answers; if all are confirmed, "
                "the accuracy reaches %(best)s %%.",
                kpi.pending,
            )
            % values
        )

    @property
    def previous_note(self) -> str:
        """Last month's value, shown beside a month-to-date figure that is incomplete."""
        if not self.month_to_date or not self.kpi.provisional or self.previous is None:
            return ""
        return _("Last month: %(value)s %(unit)s") % {
            "value": number(self.previous),
            "unit": self.unit,
        }


def status_label(kpi: KpiValue) -> str:
    if kpi.value is None:
        return _("No data")
    if kpi.provisional:
        return _("Incomplete")
    return {
        GREEN: _("On target"),
        AMBER: _("Close to target"),
        RED: _("Off target"),
    }.get(kpi.status, _("No target yet"))


def month_to_date(month: date) -> bool:
    """Whether ``month`` (its first day) is not over yet."""
    return month >= clock.today().replace(day=1)


# ---- reads ------------------------------------------------------------------------------------


def tiles(
    user: User,
    scope: Scope,
    series: dict[str, list[tuple[date, float | None]]] | None = None,
) -> list[Tile]:
    """The KPI tiles of the scope; with the trends (``trends``), each knows last month's
    value."""
    values = selectors.kpis_for(
        user, community=scope.community, team=scope.team, service=scope.service,
        month=scope.month,
    )  # fmt: skip
    ongoing = month_to_date(scope.month)
    found = [
        Tile(kpi, kpi_module.KPIS[kpi.code].higher_is_better, month_to_date=ongoing)
        for kpi in values
    ]
    if series is not None:
        found = [replace(t, previous=previous_value(series[t.kpi.code], scope.month))
                 for t in found]  # fmt: skip
    return found


def previous_value(series: list[tuple[date, float | None]], month: date) -> float | None:
    before = (month - timedelta(days=1)).replace(day=1)
    return dict(series).get(before)


def trends(user: User, scope: Scope) -> dict[str, list[tuple[date, float | None]]]:
    return {
        code: selectors.kpi_trend_for(
            user,
            code,
            months=TREND_MONTHS,
            community=scope.community,
            team=scope.team,
            service=scope.service,
        )
        for code in kpi_module.KPI_CODES
    }


def _team_residents(team: CareTeam) -> QuerySet[CareContract, ResidentIdRow]:
    return CareContract.objects.filter(status=ContractStatus.ACTIVE, team=team).values(
        "resident_id"
    )


def scoped_demands(user: User, scope: Scope) -> QuerySet[Demand]:
    """The demands ``user`` sees, narrowed to the scope's community, team and service."""
    demands = demands_visible_to(user).order_by()
    if scope.community is not None:
        demands = demands.filter(resident__community=scope.community)
    if scope.team is not None:
        demands = demands.filter(resident_id__in=_team_residents(scope.team))
    if scope.service is not None:
        demands = demands.filter(service=scope.service)
    return demands


def open_counts(user: User, scope: Scope) -> dict[str, int]:
    """Open demands per quadrant (``Q1``…``Q4``) and by next deadline (``overdue``,
    ``today``, ``week``), and ``total``: one query."""
    now = clock.now()
    tz = timezone.get_default_timezone()
    today = timezone.localtime(now, tz).date()
    tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
    monday = datetime.combine(today + timedelta(days=7 - today.weekday()), time.min, tzinfo=tz)
    next_due = Case(
        When(status__in=WAITING_STATUSES, then=F("due_respond_at")),
        When(status__in=UNBOOKED, booking__isnull=True, then=F("due_match_at")),
        default=None,
        output_field=DateTimeField(),
    )
    counts = (
        scoped_demands(user, scope)
        .filter(status__in=OPEN_STATUSES)
        .annotate(next_due=next_due)
        .aggregate(
            total=Count("pk"),
            **{q.value: Count("pk", filter=Q(quadrant=q.value)) for q in Quadrant},
            overdue=Count("pk", filter=Q(next_due__lt=now)),
            today=Count("pk", filter=Q(next_due__gte=now, next_due__lt=tomorrow)),
            week=Count("pk", filter=Q(next_due__gte=tomorrow, next_due__lt=monday)),
        )
    )
    return {key: int(value or 0) for key, value in counts.items()}


# ---- figures ----------------------------------------------------------------------------------


def trend_chart(tile: Tile, series: list[tuple[date, float | None]], selected: date) -> Chart:
    kpi = tile.kpi
    months = [m for m, _v in series]
    values = [v for _m, v in series]
    # The month not over yet is drawn apart: a dotted segment to a hollow point, so its
    # open work does not read as a fall (hover: "month to date").
    ongoing = bool(months) and month_to_date(months[-1])
    table = Table([_("Month"), _("Value"), _("Target"), pgettext("dashboard", "Unit")])
    for month, value in series:
        table.rows.append([month_key(month), value, kpi.target, kpi.unit])  # CSV: YYYY-MM
    ticks = [month_tick(month) for month in months]  # hovers name the month as the axis does
    traces = [
        {"type": "scatter", "mode": "lines+markers", "name": kpi.name,
         "x": month_axis(months), "y": [*values[:-1], None] if ongoing else values,
         "connectgaps": False, "line": {"color": BRAND, "width": 3}, "marker": {"size": 7},
         "customdata": ticks,
         "hovertemplate": "%{customdata}: %{y} " + tile.unit + "<extra></extra>"},
    ]  # fmt: skip
    if kpi.target is not None:
        traces.append(
            {"type": "scatter", "mode": "lines", "name": _("Target"),
             "x": month_axis(months), "y": [kpi.target] * len(months),
             "line": {"color": STATUS_COLOURS[RED], "width": 2, "dash": "dash"},
             "hovertemplate": _("Target") + " %{y} " + tile.unit + "<extra></extra>"}
        )  # fmt: skip
    if ongoing and values[-1] is not None:
        so_far = _("month to date")
        tail = months[-2:]
        traces.append(
            {"type": "scatter", "mode": "lines+markers", "name": so_far,
             "x": month_axis(tail), "y": values[-len(tail):],
             "line": {"color": BRAND, "width": 2, "dash": "dot"},
             "marker": {"size": 8, "symbol": [*["circle"] * (len(tail) - 1), "circle-open"]},
             "customdata": ticks[-len(tail):],
             "hovertemplate": "%{customdata} (" + so_far + "): %{y} " + tile.unit
             + "<extra></extra>"}
        )  # fmt: skip
    shapes = []
    if months and months[0] <= selected <= months[-1]:
        shapes.append(
            {"type": "line", "xref": "x", "x0": selected.isoformat(), "x1": selected.isoformat(),
             "yref": "paper", "y0": 0, "y1": 1, "line": {"color": SOFT, "width": 1, "dash": "dot"}}
        )  # fmt: skip
    figure = make_figure(
        traces,
        shapes=shapes,
        showlegend=True,
        xaxis={"type": "date", **month_ticks(months), "fixedrange": True},
        yaxis={"title": {"text": tile.unit}, "rangemode": "tozero", "fixedrange": True},
    )
    return Chart(f"trend-{kpi.code}", kpi.name, figure, table)


def _quadrant_names() -> dict[str, str]:
    return {q.value: str(q.label) for q in Quadrant}


def quadrant_chart(counts: dict[str, int]) -> Chart:
    names = _quadrant_names()
    table = Table([_("Quadrant"), _("Meaning"), _("Open demands")])
    for q in Quadrant:
        table.rows.append([q.value, names[q.value], counts.get(q.value, 0)])

    def cell(q: str) -> str:
        # Plain text: rich-text tags (<b>) become style attributes, which CSP refuses.
        return f"{q} {names[q]}<br>{counts.get(q, 0)}"

    grid = [["Q4", "Q3"], ["Q2", "Q1"]]  # rows bottom to top: not important, important
    figure = make_figure(
        [{"type": "heatmap", "x": [_("Not urgent"), _("Urgent")],
          "y": [_("Not important"), _("Important")],
          "z": [[counts.get(q, 0) for q in row] for row in grid],
          "text": [[cell(q) for q in row] for row in grid], "texttemplate": "%{text}",
          "textfont": {"size": 16}, "hoverinfo": "skip", "showscale": False, "xgap": 6,
          "ygap": 6, "colorscale": [[0, "#e3f3f1"], [1, "#5fb3ab"]]}],
        height=320,
        xaxis={"side": "top", "fixedrange": True, "showgrid": False, "linecolor": "rgba(0,0,0,0)"},
        yaxis={"fixedrange": True, "showgrid": False, "linecolor": "rgba(0,0,0,0)"},
    )  # fmt: skip
    return Chart("quadrant", _("Priority quadrant of open demands"), figure, table)


def deadline_buckets() -> list[tuple[str, str, str]]:
    return [
        ("overdue", _("Overdue"), STATUS_COLOURS[RED]),
        ("today", _("Due today"), STATUS_COLOURS[AMBER]),
        ("week", _("Due later this week"), BRAND),
    ]


def deadline_chart(counts: dict[str, int]) -> Chart:
    buckets = deadline_buckets()
    table = Table([_("Deadline"), _("Open demands")])
    table.rows = [[label, counts.get(key, 0)] for key, label, _c in buckets]
    figure = make_figure(
        [{"type": "bar", "x": [label for _k, label, _c in buckets],
          "y": [counts.get(key, 0) for key, _l, _c in buckets],
          "marker": {"color": [colour for _k, _l, colour in buckets]},
          "text": [counts.get(key, 0) for key, _l, _c in buckets], "textposition": "outside",
          "cliponaxis": False, "hovertemplate": "%{x}: %{y}<extra></extra>"}],
        showlegend=False,
        xaxis={"fixedrange": True},
        yaxis={"rangemode": "tozero", "fixedrange": True},
    )  # fmt: skip
    return Chart("deadlines", _("Open demands by deadline"), figure, table)


def kpi_table(tiles: Iterable[Tile]) -> Table:
    table = Table(
        [
            _("Code"),
            _("Indicator"),
            _("Value"),
            pgettext("dashboard", "Unit"),
            _("Target"),
            _("Status"),
            _("Sample"),
            _("Still pending"),
            _("Best case"),
            _("Final"),
        ]
    )
    for tile in tiles:
        kpi = tile.kpi
        table.rows.append(
            [kpi.code, kpi.name, kpi.value, tile.unit, kpi.target, tile.status, kpi.sample,
             kpi.pending, kpi.best_case, _("Yes") if kpi.complete else _("No")]
        )  # fmt: skip
    return table
