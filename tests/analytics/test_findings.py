"""Improvement findings: a rating dimension below its threshold for a service or care team
over the window is recorded once, with its evidence, and the community's directors hear of
it; too few ratings, ratings outside the window and rates at the threshold raise nothing."""

# ruff: noqa: F811 (pytest fixtures imported from the sibling modules)

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from careloop.analytics import selectors, services, tasks
from careloop.analytics.models import ImprovementFinding
from careloop.catalogue.models import Service
from careloop.core.errors import ConflictError, ForbiddenError
from careloop.core.models import AuditEvent
from careloop.demands.models import Demand, Rating
from careloop.notifications.models import Message
from tests.analytics.test_kpis import NOW, SHANGHAI, frozen  # noqa: F401 (fixture)

HOME_NURSING = "maintenance.home_nursing"
BP_MONITORING = "maintenance.bp_monitoring"
WINDOW_START = datetime(2026, 2, 13, tzinfo=SHANGHAI)  # 30 whole days before 15 March
WINDOW_END = datetime(2026, 3, 15, tzinfo=SHANGHAI)


def rate(who, code: str, when: datetime, **stars) -> Rating:
    filed = when - timedelta(days=2)
    demand = Demand.objects.create(
        resident=who, service=Service.objects.get(code=code), channel="resident_web",
        quadrant="Q2", tier="routine", status="completed", due_respond_at=filed,
        due_match_at=filed, created_at=filed, completed_at=when - timedelta(hours=2),
    )  # fmt: skip
    return Rating.objects.create(
        demand=demand, overall=stars.pop("overall", 3), source="portal", created_at=when, **stars
    )


@pytest.fixture
def ratings(cast, frozen):
    """Home nursing for team A's residents: response speed 2 of 6 satisfied (33 %),
    professionalism all satisfied, convenience 4 of 5 (80 %, at its threshold); BP monitoring
    for team B's zhao: four 1-star ratings (too few); the west community's chen: five 1-star
    response-speed ratings. Plus low ratings just outside the window."""
    inside = []
    for i, (speed, convenience) in enumerate([(5, 5), (4, 5), (3, 5), (2, 5), (2, 3), (1, None)]):
        who = cast.wang if i % 2 else cast.li
        inside.append(
            rate(who, HOME_NURSING, WINDOW_START + timedelta(days=3 * i, hours=1),
                 response_speed=speed, professionalism=5, convenience=convenience)
        )  # fmt: skip
    for i in range(4):
        rate(cast.zhao, BP_MONITORING, WINDOW_START + timedelta(days=i), response_speed=1,
             professionalism=1, attitude=1)  # fmt: skip
    west = [
        rate(cast.chen, HOME_NURSING, WINDOW_START + timedelta(days=i), response_speed=1)
        for i in range(5)
    ]
    rate(cast.wang, HOME_NURSING, WINDOW_START - timedelta(minutes=1), response_speed=1)
    rate(cast.wang, HOME_NURSING, WINDOW_END, response_speed=1)  # today: not yet
    return inside, west


def keys(findings):
    return {(f.community.code, f.scope_kind, f.scope_code, f.dimension) for f in findings}


def test_a_dimension_below_threshold_is_recorded_with_its_evidence(cast, ratings):
    inside, west = ratings
    found = services.find_improvements()

    assert keys(found) == {
        ("east", "service", HOME_NURSING, "response_speed"),
        ("east", "team", cast.team_a.public_id, "response_speed"),
        ("west", "service", HOME_NURSING, "response_speed"),
    }
    finding = ImprovementFinding.objects.get(community=cast.east, scope_kind="service")
    assert finding.service == Service.objects.get(code=HOME_NURSING)
    assert (finding.rate, finding.threshold, finding.sample_size) == (33.33, 60.0, 6)
    assert (finding.window_start, finding.window_end) == (WINDOW_START, WINDOW_END)
    assert (finding.status, finding.created_at) == ("open", NOW)
    assert finding.evidence["total"] == 6
    assert (finding.evidence["satisfied"], finding.evidence["below_4"]) == (2, 4)
    assert [row["rating"] for row in finding.evidence["ratings"]] == [r.pk for r in inside]
    assert [row["stars"] for row in finding.evidence["ratings"]] == [5, 4, 3, 2, 2, 1]
    assert finding.evidence["ratings"][0]["demand"] == inside[0].demand.public_id
    team = ImprovementFinding.objects.get(scope_kind="team")
    assert (team.team, team.rate, team.sample_size) == (cast.team_a, 33.33, 6)
    west_finding = ImprovementFinding.objects.get(community=cast.west)
    assert (west_finding.rate, west_finding.sample_size) == (0.0, 5)
    assert {row["rating"] for row in west_finding.evidence["ratings"]} == {r.pk for r in west}
    assert AuditEvent.objects.filter(action="careloop.improvement_finding.recorded").count() == 3


def test_the_directors_of_the_community_are_told(cast, ratings):
    services.find_improvements()
    east = Message.objects.filter(user=cast.director)
    assert east.count() == 2
    assert set(east.values_list("kind", "channel")) == {("text", "in_app")}
    service_finding = ImprovementFinding.objects.get(community=cast.east, scope_kind="service")
    message = east.get(event_key=f"analytics.finding:{service_finding.public_id}")
    assert Service.objects.get(code=HOME_NURSING).name_zh in message.subject
    assert "33.33%" in message.body and "60%" in message.body and "6" in message.body
    assert Message.objects.filter(user=cast.west_director).count() == 1
    assert not Message.objects.exclude(user__in=[cast.director, cast.west_director]).exists()


def test_recording_is_idempotent_and_once_per_window(cast, ratings):
    first = services.find_improvements()
    assert len(first) == 3
    written = (ImprovementFinding.objects.count(), Message.objects.count(),
               AuditEvent.objects.count())  # fmt: skip

    assert services.find_improvements() == []
    assert services.find_improvements(now=NOW + timedelta(days=1)) == []  # window overlaps
    assert (ImprovementFinding.objects.count(), Message.objects.count(),
            AuditEvent.objects.count()) == written  # fmt: skip

    # a whole window later, still poor: recorded again, on the new window's ratings
    later = WINDOW_END + timedelta(days=30)
    for i in range(5):
        rate(cast.wang, HOME_NURSING, WINDOW_END + timedelta(days=2 + i), response_speed=2)
    again = services.find_improvements(now=later + timedelta(hours=8))
    assert keys(again) == {
        ("east", "service", HOME_NURSING, "response_speed"),
        ("east", "team", cast.team_a.public_id, "response_speed"),
    }
    assert {f.window_start for f in again} == {WINDOW_END}
    assert {f.sample_size for f in again} == {6}  # five new ones and the one filed "today"


def test_too_few_ratings_or_a_rate_at_the_threshold_raise_nothing(cast, ratings):
    services.find_improvements()
    assert not ImprovementFinding.objects.filter(scope_code=BP_MONITORING).exists()  # 4 only
    assert not ImprovementFinding.objects.filter(scope_code=cast.team_b.public_id).exists()
    assert not ImprovementFinding.objects.filter(dimension="convenience").exists()  # 80 %
    assert not ImprovementFinding.objects.filter(dimension="professionalism").exists()


def test_the_daily_job_records_the_findings(cast, ratings):
    assert tasks.find_improvements_daily.call_local() == 3
    assert tasks.find_improvements_daily.call_local() == 0


def test_findings_are_visible_to_their_communitys_directors(cast, ratings):
    services.find_improvements()
    assert keys(selectors.findings_visible_to(cast.director)) == {
        ("east", "service", HOME_NURSING, "response_speed"),
        ("east", "team", cast.team_a.public_id, "response_speed"),
    }
    assert selectors.findings_visible_to(cast.west_director).count() == 1
    assert selectors.findings_visible_to(cast.doctor_a).count() == 0
    assert selectors.findings_visible_to(cast.admin).count() == 3


def test_a_finding_moves_forward_only(cast, ratings):
    services.find_improvements()
    finding = ImprovementFinding.objects.get(community=cast.east, scope_kind="service")

    acknowledged = services.set_finding_status(
        actor=cast.director, finding=finding, status="acknowledged"
    )
    assert (acknowledged.status, acknowledged.status_changed_by) == ("acknowledged", cast.director)
    same = services.set_finding_status(actor=cast.director, finding=finding, status="acknowledged")
    assert same.status_changed_at == acknowledged.status_changed_at
    picked = services.set_finding_status(actor=None, finding=finding, status="picked_up")
    assert picked.status == "picked_up"
    assert finding not in selectors.open_findings_for(cast.director)
    with pytest.raises(ConflictError):
        services.set_finding_status(actor=cast.director, finding=finding, status="open")
    for outsider in (cast.doctor_a, cast.west_director):
        with pytest.raises(ForbiddenError):
            services.set_finding_status(actor=outsider, finding=finding, status="picked_up")
    assert (
        AuditEvent.objects.filter(
            action__startswith="careloop.improvement_finding.", object_id=finding.public_id
        ).count()
        == 3
    )  # recorded, acknowledged, picked up
