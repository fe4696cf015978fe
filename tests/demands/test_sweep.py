"""The deadline sweep: a routine demand nobody accepted in 24 h escalates, exactly once."""

from __future__ import annotations

from datetime import timedelta

from careloop.core.models import AuditEvent
from careloop.demands import services, tasks
from careloop.demands.models import DemandEvent

from .conftest import NOW


def file(cast, description="想量血压"):
    return services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description=description
    )


def test_routine_demand_not_accepted_in_24_hours_escalates_once(cast, frozen):
    waiting = file(cast)
    accepted = file(cast, "想复查血脂")
    services.accept_demand(actor=cast.doctor_a, demand=accepted)
    frozen(NOW + timedelta(hours=23, minutes=59))
    assert tasks.sweep_overdue_demands.call_local()["escalated"] == 0
    frozen(NOW + timedelta(hours=24))
    assert tasks.sweep_overdue_demands.call_local()["escalated"] == 1
    assert tasks.sweep_overdue_demands.call_local()["escalated"] == 0  # a second run: nothing
    frozen(NOW + timedelta(hours=30))
    assert services.escalate_overdue() == 0
    waiting.refresh_from_db()
    accepted.refresh_from_db()
    assert (waiting.status, waiting.escalated_at) == ("escalated", NOW + timedelta(hours=24))
    assert accepted.status == "accepted"
    event = DemandEvent.objects.get(demand=waiting, action="escalate")
    assert (event.actor, event.from_status, event.detail["breach"]) == (
        None,
        "submitted",
        "respond",
    )
    assert AuditEvent.objects.filter(action="careloop.demand.escalated").count() == 1


def test_an_escalated_demand_can_still_be_accepted(cast, frozen):
    demand = file(cast)
    frozen(NOW + timedelta(days=2))
    services.escalate_overdue()
    demand.refresh_from_db()
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    assert demand.status == "accepted"


def test_urgent_demand_escalates_after_30_minutes(cast, frozen):
    demand = file(cast, "孩子高烧39度")
    assert demand.tier == "urgent"
    frozen(NOW + timedelta(minutes=29))
    assert services.escalate_overdue() == 0
    frozen(NOW + timedelta(minutes=30))
    assert services.escalate_overdue() == 1
