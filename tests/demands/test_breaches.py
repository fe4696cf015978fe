"""Deadline breaches: escalated to the team lead, then the director, recorded once however
often (or however concurrently) the sweep runs."""

from __future__ import annotations

from datetime import timedelta

from careloop.demands import services
from careloop.demands.models import DeadlineBreach
from careloop.notifications.models import Message

from .conftest import NOW


def file(cast, description="想量血压"):
    return services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description=description
    )


def levels(demand):
    return sorted(demand.breaches.values_list("kind", "level"))


def test_unaccepted_routine_demand_goes_to_the_team_lead_then_the_director(cast, frozen):
    demand = file(cast)
    assert services.sweep_deadlines(now=NOW + timedelta(hours=23))["escalated"] == 0
    day = NOW + timedelta(hours=24)
    assert services.sweep_deadlines(now=day)["escalated"] == 1
    assert services.sweep_deadlines(now=day)["escalated"] == 0
    demand.refresh_from_db()
    assert demand.status == "escalated"
    assert levels(demand) == [("respond", 1)]
    lead = Message.objects.filter(kind="demand.escalated", user=cast.doctor_a)
    assert lead.count() == 1  # team A's lead; the nurse is not a lead
    assert not Message.objects.filter(kind="demand.escalated", user=cast.nurse_a).exists()
    assert services.sweep_deadlines(now=day + timedelta(hours=23))["respond_director"] == 0
    assert services.sweep_deadlines(now=day + timedelta(hours=24))["respond_director"] == 1
    assert services.sweep_deadlines(now=day + timedelta(hours=25))["respond_director"] == 0
    assert levels(demand) == [("respond", 1), ("respond", 2)]
    assert Message.objects.filter(kind="demand.escalated", user=cast.director).count() == 1


def test_accepted_but_unmatched_demand_breaches_its_match_deadline(cast, frozen):
    demand = file(cast)
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    demand.refresh_from_db()
    assert services.sweep_deadlines(now=demand.due_match_at - timedelta(minutes=1))["match"] == 0
    assert services.sweep_deadlines(now=demand.due_match_at)["match"] == 1
    assert services.sweep_deadlines(now=demand.due_match_at)["match"] == 0
    demand.refresh_from_db()
    assert demand.status == "accepted"  # it stays with its clinician
    breach = DeadlineBreach.objects.get(demand=demand)
    assert (breach.kind, breach.level, breach.due_at) == ("match", 1, demand.due_match_at)


def test_an_accepted_demand_escapes_the_director(cast, frozen):
    demand = file(cast)
    services.sweep_deadlines(now=NOW + timedelta(hours=24))
    demand.refresh_from_db()
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    assert services.sweep_deadlines(now=NOW + timedelta(hours=49))["respond_director"] == 0


def test_manual_escalation_tells_the_team_lead(cast, frozen):
    demand = file(cast)
    services.escalate_demand(actor=cast.nurse_a, demand=demand, reason="需要主任会诊")
    assert Message.objects.filter(kind="demand.escalated", user=cast.doctor_a).count() == 1
