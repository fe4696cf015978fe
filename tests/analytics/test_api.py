"""Analytics API: who may read KPIs and analyses (directors and quality managers of their own
community), filters and their errors, stored segments and rules, forecast validation, and
queueing a run."""

# ruff: noqa: F811 (pytest fixtures imported from the sibling modules)

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from careloop.analytics import services
from careloop.analytics.algorithms.synthetic import seasonal_series
from careloop.analytics.kpis import KPI_CODES, compute_kpis
from careloop.analytics.models import AnalyticsRun
from careloop.catalogue.models import Service
from careloop.core import tokens
from careloop.core.roles import Role
from careloop.demands.models import Demand
from tests.analytics.test_kpis import NOW, ROWS, expected, frozen, world  # noqa: F401
from tests.analytics.test_runs import population  # noqa: F401 (fixture)
from tests.conftest import make_user

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue_api_token(actor=user).key}", **EN}


def get(client, path, user, **params):
    headers = bearer(user) if user is not None else EN
    return client.get(f"/api/v1{path}", params, **headers)


def post(client, path, body, user):
    return client.post(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", **bearer(user)
    )


@pytest.fixture
def quality_manager(cast):
    return make_user("quality", Role.QUALITY_MANAGER, community=cast.east)


@pytest.fixture
def stored_runs(cast):
    """A stored segmentation and rule-mining result for the east community and for all."""
    result = {"k": 2, "features": ["age"], "silhouette": {"2": 0.5}, "segments": [],
              "rules": [], "transactions": 3, "items": 0}  # fmt: skip
    for community in (cast.east, None):
        for kind in ("segments", "rules"):
            AnalyticsRun.objects.create(
                kind=kind, community=community, status="succeeded", result=result,
                created_at=NOW,
            )  # fmt: skip


# ---- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 200),
        ("quality_manager", 200),
        ("admin", 200),
        ("doctor_a", 403),
        ("nurse_a", 403),
        ("cashier", 403),
        ("auditor", 403),
        ("wang_user", 403),
        (None, 401),
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/kpis", None),
        ("get", "/analytics/segments", None),
        ("get", "/analytics/rules", None),
        ("post", "/analytics/forecast", {"series": list(range(1, 13)), "horizon": 2}),
    ],
)
def test_role_matrix(
    client,
    cast,
    frozen,
    quality_manager,
    stored_runs,
    who,
    status,
    method,
    path,
    body,
):
    user = quality_manager if who == "quality_manager" else getattr(cast, who) if who else None
    if method == "get":
        response = get(client, path, user)
    elif user is None:
        response = client.post(f"/api/v1{path}", json.dumps(body),
                               content_type="application/json", **EN)  # fmt: skip
    else:
        response = post(client, path, body, user)
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["code"] == "analytics.forbidden"


# ---- KPIs ------------------------------------------------------------------------------------


def test_kpis_come_with_targets_and_lights(client, world):
    response = get(client, "/kpis", world.cast.director, month="2026-01")
    assert response.status_code == 200
    body = response.json()
    assert [row["code"] for row in body] == list(KPI_CODES)
    # The original fields, and the open work beside them (test_month_to_date.py).
    assert set(body[0]) == {"code", "name", "value", "target", "unit", "status", "sample",
                            "pending", "best_case", "complete", "provisional"}  # fmt: skip
    expected = compute_kpis(community=world.cast.east, month=NOW.date().replace(month=1, day=1))
    assert [(r["value"], r["target"], r["unit"], r["status"]) for r in body] == [
        (v.value, v.target, v.unit, v.status) for v in expected
    ]
    assert body[0]["name"] == "Response time (median)"


def test_a_director_sees_only_their_community(client, world):
    cast = world.cast
    west = get(client, "/kpis", cast.west_director).json()
    assert west == get(client, "/kpis", cast.west_director, community="west").json()
    satisfaction = next(row for row in west if row["code"] == "satisfaction_rate")
    assert satisfaction["value"] == 0.0  # chen's one-star rating, not the east's
    assert get(client, "/kpis", cast.west_director, community="east").status_code == 404
    team = get(client, "/kpis", cast.west_director, team=cast.team_a.public_id)
    assert (team.status_code, team.json()["code"]) == (404, "analytics.not_found")
    everything = get(client, "/kpis", cast.admin).json()
    assert (
        next(r for r in everything if r["code"] == "satisfaction_rate")["value"]
        == (expected(ROWS)["satisfaction_rate"][0])
    )


def test_filters_by_team_and_service(client, world):
    cast = world.cast
    response = get(client, "/kpis", cast.director, team=cast.team_b.public_id,
                   service="maintenance.home_nursing")  # fmt: skip
    assert response.status_code == 200
    expected = compute_kpis(community=cast.east, team=cast.team_b,
                            service=world.services["maintenance.home_nursing"])  # fmt: skip
    assert [row["value"] for row in response.json()] == [v.value for v in expected]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"month": "2026-13"}, "month"), ({"month": "March"}, "month"),
     ({"service": "no.such"}, "service")],
)  # fmt: skip
def test_bad_filters_are_field_errors(client, cast, frozen, params, field):
    response = get(client, "/kpis", cast.director, **params)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_unknown_community_or_team_is_not_found(client, cast, frozen):
    assert get(client, "/kpis", cast.admin, community="nowhere").status_code == 404
    assert get(client, "/kpis", cast.director, team="nope").status_code == 404


# ---- stored analyses ---------------------------------------------------------------------------


def test_segments_and_rules_before_any_run_are_not_found(client, cast, frozen):
    for path in ("/analytics/segments", "/analytics/rules"):
        response = get(client, path, cast.director)
        assert response.status_code == 404
        assert response.json()["code"] == "analytics.no_run"
        assert "POST /api/v1/analytics/runs" in response.json()["message"]


def test_the_latest_stored_segments_and_rules(client, population, cast):
    runs = services.run_analytics(actor=None, kinds=["segments", "rules"], community=cast.east)
    segments = get(client, "/analytics/segments", cast.director)
    assert segments.status_code == 200
    body = segments.json()
    assert body["run"]["id"] == runs[0].public_id
    assert body["run"]["snapshot"]["sources"]["residents"]["rows"] == 43
    assert body["k"] == runs[0].result["k"]
    assert sum(s["size"] for s in body["segments"]) == 43
    assert all(s["description_zh"] for s in body["segments"])

    rules = get(client, "/analytics/rules", cast.director, limit=1)
    assert rules.status_code == 200
    assert rules.json()["run"]["parameters"]["consequent_prefix"] == "svc:"
    assert len(rules.json()["rules"]) == 1
    assert get(client, "/analytics/rules", cast.director, limit=0).status_code == 400
    assert get(client, "/analytics/segments", cast.west_director).status_code == 404


def test_queueing_a_run(client, population, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "/analytics/runs", {"kinds": ["rules"]}, cast.director)
    assert response.status_code == 202
    assert response.json() == {"status": "queued", "kinds": ["rules"], "community": "east"}
    run = AnalyticsRun.objects.get()
    assert (run.kind, run.community, run.created_by, run.status) == (
        "rules", cast.east, cast.director, "succeeded")  # fmt: skip
    bad = post(client, "/analytics/runs", {"kinds": ["everything"]}, cast.director)
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["kinds"])
    assert post(client, "/analytics/runs", {}, cast.doctor_a).status_code == 403


# ---- forecast ------------------------------------------------------------------------------


def test_a_forecast_of_a_series(client, cast, frozen):
    series = seasonal_series(60, seed=3).tolist()
    response = post(client, "/analytics/forecast", {"series": series, "horizon": 6},
                    cast.director)  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["forecast"]) == len(body["lower"]) == len(body["upper"]) == 6
    assert all(lo <= f <= hi for lo, f, hi in zip(body["lower"], body["forecast"],
                                                   body["upper"], strict=True))  # fmt: skip
    assert body["model"].startswith("ARIMA(")
    assert body["backtest"]["horizon"] == 6
    assert body["weeks"] is None  # a bare list has no dates


def test_a_forecast_of_a_services_demands(client, population, cast):
    body = {"service_code": "basic.vaccination", "horizon": 4}
    response = post(client, "/analytics/forecast", body, cast.director)
    assert response.status_code == 200, response.content
    assert len(response.json()["forecast"]) == 4
    assert response.json()["weeks"][0] == "2026-03-09"
    # the west community has no such demands
    response = post(client, "/analytics/forecast", body, cast.west_director)
    assert (response.status_code, list(response.json()["fields"])) == (400, ["service_code"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"series": [], "horizon": 4}, "series"),
        ({"series": [1, 2, 3, 4, 5, 6, 7], "horizon": 4}, "series"),
        ({"series": [1] * 521, "horizon": 4}, "series"),
        ({"series": [1, 2, 3, 4, -5, 6, 7, 8], "horizon": 4}, "series"),
        ({"series": [1, 2, 3, "many", 5, 6, 7, 8], "horizon": 4}, "series.3"),
        ({"series": list(range(12)), "horizon": 0}, "horizon"),
        ({"series": list(range(12)), "horizon": 53}, "horizon"),
        ({"series": list(range(12))}, "horizon"),
        ({"horizon": 4}, "series"),
        ({"series": list(range(12)), "service_code": "basic.vaccination", "horizon": 4},
         "series"),
        ({"service_code": "no.such.service", "horizon": 4}, "service_code"),
        ({"series": list(range(12)), "horizon": 4, "alpha": 0.1}, "alpha"),
    ],
)  # fmt: skip
def test_bad_forecast_requests_are_field_errors(client, cast, frozen, body, field):
    response = post(client, "/analytics/forecast", body, cast.director)
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [field]
    assert all(response.json()["fields"][field])


def test_a_service_with_too_little_history_is_a_field_error(client, cast, frozen):
    service = Service.objects.get(code="basic.vaccination")
    for week in range(3):
        Demand.objects.create(
            resident=cast.wang, service=service, channel="resident_web", quadrant="Q2",
            tier="routine", due_respond_at=NOW, due_match_at=NOW,
            created_at=NOW - timedelta(weeks=week + 1),
        )  # fmt: skip
    response = post(client, "/analytics/forecast",
                    {"service_code": "basic.vaccination", "horizon": 4}, cast.director)  # fmt: skip
    assert response.status_code == 400
    assert "8" in response.json()["fields"]["service_code"][0]
