"""The month not over yet: demands count in the month they were filed (DOMAIN.md), so this
month's match success rate and identification accuracy include demands still within their
match deadline and suggestions nobody has answered yet. The values keep DOMAIN's definitions;
``compute_kpis`` reports the open work beside them (``pending``, ``best_case``, ``complete``,
``provisional``), the API returns it, and the dashboard shows a provisional KPI with a neutral
"incomplete" light, the open count, the best case and last month's figure — but a light that
the open work can no longer change stays red.

The clock is frozen at Sunday 15 March 2026, 10:00 Shanghai time (``test_kpis.frozen``).
"""

# ruff: noqa: F811 (pytest fixtures imported from the sibling modules)

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from careloop.analytics.kpis import compute_kpis, kpi_trend
from careloop.catalogue.models import Service
from careloop.core import clock
from tests.analytics.test_api import get
from tests.analytics.test_dashboard import DASHBOARD, tiles
from tests.analytics.test_kpis import (  # noqa: F401 (fixture)
    HOME_NURSING,
    NOW,
    SHANGHAI,
    D,
    H,
    Row,
    at,
    frozen,
    make_demand,
)

MARCH, FEBRUARY = date(2026, 3, 1), date(2026, 2, 1)

# February: 10 demands, all decided: 9 matched in time, 1 not (90 %); 2 suggestions, both
# answered (1 confirmed: 50 %).
FEBRUARY_ROWS = [
    *[Row("wang", at(2, 2 + n), accepted_after=2 * H, scheduled_after=1 * D,
          service=HOME_NURSING) for n in range(9)],
    Row("li", at(2, 20), accepted_after=2 * H, scheduled_after=5 * D, service=HOME_NURSING,
        suggested=True, confirmed=True),
    Row("zhao", at(2, 21), status="withdrawn", suggested=True, confirmed=False),
]  # fmt: skip
# March so far: 8 demands matched in time and 4 filed in the last days, not matched yet,
# whose match deadline is ahead (8 / 12 = 66.67 %, red; at best 12 / 12). Suggestions: 2
# confirmed, 3 open and unanswered, 1 unanswered but closed (2 / 6 = 33.33 %, red; at best
# 5 / 6 = 83.33 %, amber).
MARCH_ROWS = [
    *[Row("wang", at(3, 2 + n), accepted_after=2 * H, scheduled_after=1 * D,
          service=HOME_NURSING) for n in range(5)],
    Row("wang", at(3, 8), accepted_after=2 * H, scheduled_after=1 * D, service=HOME_NURSING,
        suggested=True, confirmed=True),
    Row("li", at(3, 9), accepted_after=2 * H, scheduled_after=1 * D, service=HOME_NURSING,
        suggested=True, confirmed=True),
    Row("zhao", at(3, 13), status="submitted", suggested=True),
    Row("zhao", at(3, 14), status="submitted", suggested=True),
    Row("li", at(3, 14, 15), status="accepted", accepted_after=1 * H),
    Row("wang", at(3, 15, 8), status="submitted", suggested=True),
    Row("li", at(3, 3), status="completed", accepted_after=1 * H, scheduled_after=1 * D,
        suggested=True),  # answered by nobody, now closed: counts as not confirmed, for good
]  # fmt: skip


@pytest.fixture
def month(cast, frozen):
    services = {HOME_NURSING: Service.objects.get(code=HOME_NURSING)}
    for row in (*FEBRUARY_ROWS, *MARCH_ROWS):
        make_demand(cast, row, services)
    return cast


def by_code(values):
    return {v.code: v for v in values}


def test_the_current_month_reports_its_open_work_beside_domains_value(month):
    found = by_code(compute_kpis(community=month.east, month=MARCH))
    match = found["match_success_rate"]
    # DOMAIN's definition unchanged: matched in time ÷ filed (the open ones counted).
    assert (match.value, match.sample, match.status) == (66.67, 12, "red")
    assert (match.pending, match.best_case) == (4, 100.0)
    assert match.complete is False and match.provisional is True
    accuracy = found["identification_accuracy"]
    assert (accuracy.value, accuracy.sample, accuracy.status) == (33.33, 6, "red")
    assert (accuracy.pending, accuracy.best_case) == (3, 83.33)
    assert accuracy.provisional is True  # red now, amber at best: not settled
    for code in ("response_time_median_h", "satisfaction_rate", "htn_control_rate"):
        assert (found[code].pending, found[code].best_case) == (0, None), code
        assert found[code].complete is False and found[code].provisional is False, code


def test_a_month_whose_demands_are_all_decided_is_complete(month):
    found = by_code(compute_kpis(community=month.east, month=FEBRUARY))
    match, accuracy = found["match_success_rate"], found["identification_accuracy"]
    assert (match.value, match.pending, match.best_case, match.status) == (90.0, 0, None, "amber")
    assert (accuracy.value, accuracy.pending) == (50.0, 0)
    assert all(v.complete and not v.provisional for v in found.values())


def test_open_work_that_cannot_reach_the_target_leaves_the_light_red(month, cast):
    services = {HOME_NURSING: Service.objects.get(code=HOME_NURSING)}
    for n in range(8):  # missed: accepted, never scheduled, deadline past
        make_demand(cast, Row("zhao", at(3, 2, 9 + n), accepted_after=H), services)
    match = by_code(compute_kpis(community=cast.east, month=MARCH))["match_success_rate"]
    assert (match.value, match.pending, match.best_case) == (40.0, 4, 60.0)
    assert match.status == "red" and match.provisional is False  # red even at best


def test_last_month_is_incomplete_while_its_last_demands_are_open(month, cast, monkeypatch):
    """Not a calendar rule: on 2 March, demands of 28 February are still within their match
    deadline, so February's rate is not final yet either."""
    services = {HOME_NURSING: Service.objects.get(code=HOME_NURSING)}
    for n in range(3):
        make_demand(cast, Row("wang", at(2, 28, 9 + n), status="submitted"), services)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI))
    match = by_code(compute_kpis(community=cast.east, month=FEBRUARY))["match_success_rate"]
    assert (match.value, match.pending, match.best_case) == (69.23, 3, 92.31)
    assert match.complete is False and match.provisional is True  # red now, amber at best
    monkeypatch.setattr(clock, "now", lambda: NOW)
    match = by_code(compute_kpis(community=cast.east, month=FEBRUARY))["match_success_rate"]
    assert (match.pending, match.complete, match.provisional) == (0, True, False)


def test_the_api_adds_the_open_work_and_keeps_its_fields(client, month):
    response = get(client, "/kpis", month.director, month="2026-03")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    match = rows["match_success_rate"]
    assert {k: match[k] for k in ("value", "target", "unit", "status")} == {
        "value": 66.67, "target": 95.0, "unit": "%", "status": "red"}  # fmt: skip
    assert {k: match[k] for k in ("sample", "pending", "best_case", "complete", "provisional")
            } == {"sample": 12, "pending": 4, "best_case": 100.0, "complete": False,
                  "provisional": True}  # fmt: skip
    february = get(client, "/kpis", month.director, month="2026-02").json()
    assert all(row["complete"] and not row["provisional"] for row in february)


# ---- the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_marks_the_month_to_date_and_greys_what_open_work_can_change(client, month):
    client.force_login(month.director)
    response = client.get(DASHBOARD)
    html = response.content.decode()
    shown = tiles(html)
    match = shown["match_success_rate"]
    assert (match["light"], match["status"], match["pending"]) == ("pending", "red", 4)
    assert match["complete"] is False
    assert float(match["value"]) == 66.67  # the value is still DOMAIN's
    assert "4" in match["text"] and "100" in match["text"]  # open count and best case
    assert "90" in match["text"]  # last month's figure, to compare with
    assert 'class="kpi-pending-note"' in html and 'class="kpi-previous"' in html
    assert shown["identification_accuracy"]["light"] == "pending"
    assert shown["response_time_median_h"]["light"] == "green"  # open work cannot lower it
    assert 'class="tag month-to-date"' in html
    assert 'class="muted month-to-date-note"' in html
    assert response.context["month_to_date"] is True


def test_a_settled_light_is_not_greyed_in_the_month_to_date(client, month, cast):
    services = {HOME_NURSING: Service.objects.get(code=HOME_NURSING)}
    for n in range(8):
        make_demand(cast, Row("zhao", at(3, 2, 9 + n), accepted_after=H), services)
    client.force_login(cast.director)
    match = tiles(client.get(DASHBOARD).content.decode())["match_success_rate"]
    assert (match["light"], match["status"], match["pending"]) == ("red", "red", 4)
    assert "60" in match["text"]  # the best case is still told
    assert "90" not in match["text"]  # last month's figure only beside a grey light


def test_a_past_month_has_no_month_to_date_marks(client, month):
    client.force_login(month.director)
    response = client.get(DASHBOARD, {"month": "2026-02"})
    html = response.content.decode()
    shown = tiles(html)
    assert all(t["light"] == t["status"] and t["complete"] for t in shown.values())
    assert "month-to-date" not in html and "kpi-pending-note" not in html
    assert response.context["month_to_date"] is False


def test_the_trend_draws_the_month_to_date_apart(client, month):
    client.force_login(month.director)
    figures = client.get(DASHBOARD).context["chart_data"]["figures"]
    line, target, so_far = figures["trend-match_success_rate"]["data"]
    assert line["y"][-2:] == [90.0, None]  # the months that are over, solid
    assert target["line"]["dash"] == "dash"
    assert so_far["y"] == [90.0, 66.67] and so_far["line"]["dash"] == "dot"
    assert so_far["marker"]["symbol"] == ["circle", "circle-open"]
    assert [x[:10] for x in so_far["x"]] == ["2026-02-01", "2026-03-01"]
    past = client.get(DASHBOARD, {"month": "2026-02"}).context["chart_data"]["figures"]
    assert len(past["trend-match_success_rate"]["data"]) == 3  # the trend still ends today


def test_the_control_rate_trend_is_one_query(month, django_assert_num_queries):
    with django_assert_num_queries(1):
        series = kpi_trend("htn_control_rate", months=12, community=month.east)
    assert len(series) == 12 and series[-1][0] == MARCH


def test_csv_of_the_kpis_carries_the_open_work(client, month):
    client.force_login(month.director)
    response = client.get("/console/dashboard/export/kpis.csv")
    rows = csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff")))
    match = next(row for row in rows if row[0] == "match_success_rate")
    assert match[2] == "66.67" and match[7:9] == ["4", "100.0"]


def test_the_open_work_takes_no_extra_query(month, django_assert_max_num_queries):
    """3 percentile queries at most, 2 for the rates (open work included), 1 per control
    rate (now and a year earlier together)."""
    with django_assert_max_num_queries(7):
        compute_kpis(community=month.east, month=MARCH)
