"""An opened observations alert files a device-alert demand in the same transaction."""

from __future__ import annotations

from careloop.demands.models import Demand
from careloop.observations.models import Alert
from tests.observations.conftest import bp


def test_an_urgent_alert_files_one_urgent_device_demand(cast):
    bp(cast.doctor_a, cast.wang, 185, 115)
    bp(cast.doctor_a, cast.wang, 186, 112)  # the same episode: no second demand
    alert = Alert.objects.get()
    demand = Demand.objects.get()
    assert (demand.channel, demand.tier, demand.quadrant) == ("device_alert", "urgent", "Q1")
    assert demand.resident == cast.wang and demand.filed_by is None
    assert demand.system_suggested is True and demand.resident_confirmed is None
    assert demand.source_ref == f"alert:{alert.public_id}"
    assert demand.events.get().action == "file"


def test_a_routine_alert_files_a_routine_demand(cast):
    bp(cast.doctor_a, cast.wang, 150, 92)
    assert Demand.objects.get().tier == "routine"


def test_the_batch_is_audited_once_and_not_filed_twice(cast):
    from careloop.core.models import AuditEvent
    from careloop.demands.services import file_alert_demands

    bp(cast.doctor_a, cast.wang, 185, 115)
    event = AuditEvent.objects.get(action="careloop.demand.filed")
    demand = Demand.objects.get()
    assert event.object_id == demand.public_id and event.actor_username == "system"
    assert file_alert_demands([Alert.objects.get()]) == []  # already filed
    assert Demand.objects.count() == 1
