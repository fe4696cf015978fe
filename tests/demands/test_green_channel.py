"""Critical demands skip the queue: the green channel opens in the filing transaction, the
on-duty clinician, the care team and volunteers are notified within one delivery sweep, and
the response is tracked against the minute deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from careloop.catalogue import services as catalogue_services
from careloop.core.errors import ForbiddenError, NotFoundError
from careloop.core.roles import Role
from careloop.demands import services
from careloop.demands.models import DeadlineBreach, GreenChannelCase
from careloop.notifications.models import Message
from careloop.notifications.services import deliver_due
from tests.conftest import make_user

from .conftest import NOW


@pytest.fixture
def hospital(cast):
    return catalogue_services.create_organisation(
        actor=cast.admin, code="wuchang.hospital", name_zh="武昌区人民医院", kind="hospital"
    )


@pytest.fixture
def volunteer(cast):
    return make_user("volunteer_li", Role.VOLUNTEER, community=cast.east)


def file_critical(cast, description="胸痛，出冷汗"):
    return services.file_demand(
        actor=cast.nurse_a, resident=cast.wang, channel="staff_phone", description=description
    )


def test_a_critical_demand_opens_the_green_channel_and_notifies_in_one_sweep(
    cast, frozen, hospital, volunteer
):
    demand = file_critical(cast)
    assert demand.tier == "critical"
    case = GreenChannelCase.objects.get(demand=demand)
    assert case.on_duty == cast.doctor_a  # the contracted family doctor
    assert case.transfer_to == hospital
    assert case.volunteers_alerted == 1
    assert case.due_respond_at == NOW + timedelta(minutes=5)
    assert case.due_handover_at == NOW + timedelta(minutes=60)
    told = Message.objects.filter(kind__startswith="green_channel.")
    assert set(told.values_list("user__username", flat=True)) == {
        "doctor_a",
        "nurse_a",
        "volunteer_li",
    }
    assert all(m.urgent for m in told)
    deliver_due(now=NOW)  # one sweep
    assert set(told.values_list("status", flat=True)) == {"sent"}


def test_the_green_channel_is_opened_once(cast, frozen, hospital):
    demand = file_critical(cast)
    again = services.open_green_channel(demand=demand)
    assert GreenChannelCase.objects.filter(demand=demand).count() == 1
    assert again.pk == demand.green_channel.pk


def test_steps_move_the_demand(cast, frozen, hospital):
    demand = file_critical(cast)
    case = demand.green_channel
    services.record_green_step(actor=cast.doctor_a, case=case, step="respond")
    demand.refresh_from_db()
    assert demand.status == "accepted"
    services.record_green_step(actor=cast.doctor_a, case=case, step="ambulance")
    services.record_green_step(actor=cast.doctor_a, case=case, step="handover")
    services.record_green_step(actor=cast.doctor_a, case=case, step="close", note="已转运")
    case.refresh_from_db()
    demand.refresh_from_db()
    assert demand.status == "completed"
    assert case.responded_at == case.handed_over_at == case.closed_at == NOW
    # Recording a step again keeps the first time.
    services.record_green_step(actor=cast.doctor_a, case=case, step="respond")
    assert demand.events.filter(action="accept").count() == 1


def test_only_staff_who_see_the_resident_record_steps(cast, frozen, hospital):
    case = file_critical(cast).green_channel
    with pytest.raises(NotFoundError):
        services.record_green_step(actor=cast.doctor_b, case=case, step="respond")
    with pytest.raises(ForbiddenError):
        services.record_green_step(actor=cast.wang_user, case=case, step="respond")


def test_no_response_in_five_minutes_goes_to_the_director_once(cast, frozen, hospital):
    demand = file_critical(cast)
    services.sweep_deadlines(now=NOW + timedelta(minutes=4))
    assert not DeadlineBreach.objects.exists()
    # The respond sweep leaves green-channel demands to their own minute deadline.
    assert demand.events.filter(action="escalate").count() == 0
    later = NOW + timedelta(minutes=6)
    assert services.sweep_deadlines(now=later)["green_channel"] == 1
    assert services.sweep_deadlines(now=later)["green_channel"] == 0
    breach = DeadlineBreach.objects.get()
    assert (breach.kind, breach.level) == ("respond", 2)
    assert Message.objects.filter(kind="demand.escalated", user=cast.director).count() == 1
