"""Demands as FHIR Task (read and search): the mapping of every status, the search
parameters, the selector's scope, read-only answers, the CapabilityStatement, a page without
per-row queries, and fhirpy against the live server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.task import Task
from fhirpy.base.exceptions import ResourceNotFound

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Service, Slot
from careloop.core.models import AuditEvent
from careloop.demands import services
from careloop.demands.models import Demand, DemandEvent, DemandStatus
from careloop.fhir.context import Caller, FhirContext
from careloop.fhir.registry import get_handler
from careloop.fhir.resources.healthcareservice import SERVICE_SYSTEM
from careloop.fhir.resources.task import (
    CHANNEL_SYSTEM,
    DEMAND_CHANNEL_URL,
    DEMAND_STATUS_SYSTEM,
    OUTPUT_SYSTEM,
    RESPOND_BY_URL,
)
from tests.catalogue.conftest import NOW, frozen, net  # noqa: F401 (fixtures)
from tests.fhir.conftest import FHIR_JSON, outcome_issues
from tests.fhir.test_fhirpy_client import client_for, live_cast  # noqa: F401 (fixtures)

REFILL = "basic.chronic_refill"
# audit.record: a savepoint, the chain head locked, the event, the head moved, released
AUDIT_QUERIES = 5
SEARCH_PARAMS = {"_id", "patient", "subject", "status", "business-status", "priority", "intent",
                 "code", "authored-on", "owner"}  # fmt: skip


def file(cast, *, resident=None, actor=None, channel="resident_web", **extra):
    return services.file_demand(
        actor=actor or cast.wang_user, resident=resident or cast.wang, channel=channel,
        **({"description": "想量血压"} | extra),
    )  # fmt: skip


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "searchset"
    return [entry.resource.id for entry in bundle.entry or []]


@pytest.fixture
def slot(cast, net):  # noqa: F811
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=3)
    # Monday's 08:30 clinic slot of the doctor who is doctor_a.
    return Slot.objects.filter(provider=net.doctor).order_by("start").first()


# ---- read ---------------------------------------------------------------------------------------


def test_read_of_a_scheduled_demand_is_a_valid_task(fhir, cast, net, slot, frozen):  # noqa: F811
    demand = file(cast, service=Service.objects.get(code=REFILL), description="降压药快吃完了",
                  modes=["clinic"])  # fmt: skip
    frozen(NOW + timedelta(minutes=5))
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    frozen(NOW + timedelta(minutes=9))
    services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=slot)

    response = fhir(cast.doctor_a).get(f"/Task/{demand.public_id}")

    assert response.status_code == 200, response.content
    assert response["Last-Modified"] == "Mon, 09 Feb 2026 00:09:00 GMT"
    task = Task.model_validate(response.json())
    assert task.id == demand.public_id
    assert (task.status, task.intent, task.priority) == ("ready", "order", "routine")
    status = task.businessStatus.coding[0]
    assert (status.system, status.code, status.display) == (DEMAND_STATUS_SYSTEM, "scheduled",
                                                            "Scheduled")  # fmt: skip
    assert [(c.system, c.code, c.display) for c in task.code.coding] == [
        (SERVICE_SYSTEM, REFILL, Service.objects.get(code=REFILL).name_zh)
    ]
    assert task.description == "降压药快吃完了"
    assert task.for_fhir.reference == f"Patient/{cast.wang.public_id}"
    assert task.authoredOn == NOW
    assert task.lastModified == task.meta.lastUpdated == NOW + timedelta(minutes=9)
    assert task.requester.reference == f"Patient/{cast.wang.public_id}"
    assert (task.owner.reference, task.owner.display) == (
        f"PractitionerRole/{net.doctor.public_id}", net.doctor.name
    )  # fmt: skip
    assert task.executionPeriod.start == NOW + timedelta(minutes=5)
    assert task.executionPeriod.end is None
    assert task.restriction.period.end == demand.due_match_at
    extensions = {e.url: e for e in task.extension}
    assert extensions[RESPOND_BY_URL].valueDateTime == demand.due_respond_at
    channel = extensions[DEMAND_CHANNEL_URL].valueCoding
    assert (channel.system, channel.code, channel.display) == (CHANNEL_SYSTEM, "resident_web",
                                                               "Resident self-service")  # fmt: skip
    (output,) = task.output
    assert output.type.coding[0].system == OUTPUT_SYSTEM
    assert output.valueReference.reference == f"Slot/{slot.public_id}"
    assert task.statusReason is None


def test_description_only_staff_filed_demand(fhir, cast, net, frozen):  # noqa: F811
    demand = file(cast, actor=cast.doctor_a, channel="staff_phone", description="胸痛，出冷汗")
    by_director = file(cast, actor=cast.director, channel="walk_in", description="想做康复")

    body = fhir(cast.wang_user).get(f"/Task/{demand.public_id}").json()
    task = Task.model_validate(body)

    assert task.code.coding is None and task.code.text == "胸痛，出冷汗"
    assert task.priority == "stat"  # chest pain: critical
    assert task.requester.reference == f"PractitionerRole/{net.doctor.public_id}"
    assert task.owner is None and task.executionPeriod is None and task.output is None
    assert "for" in body and "for_fhir" not in body
    other = Task.model_validate(fhir(cast.wang_user).get(f"/Task/{by_director.public_id}").json())
    assert other.requester.reference is None
    assert other.requester.display == cast.director.name


def test_system_suggested_demand_is_a_proposal_until_confirmed(fhir, cast, frozen):  # noqa: F811
    demand = services.file_demand(
        actor=None, resident=cast.wang, channel="package_due", description="季度随访",
        system_suggested=True,
    )  # fmt: skip
    api = fhir(cast.doctor_a)

    before = Task.model_validate(api.get(f"/Task/{demand.public_id}").json())
    services.confirm_suggested_demand(actor=cast.wang_user, demand=demand, confirmed=True)
    after = Task.model_validate(api.get(f"/Task/{demand.public_id}").json())

    assert before.intent == "proposal" and before.requester is None
    assert before.extension[0].valueCoding.code == "package_due"
    assert after.intent == "order"
    assert ids(api.get("/Task", intent="order")) == [demand.public_id]
    assert ids(api.get("/Task", intent="proposal")) == []


# ---- every status -------------------------------------------------------------------------------

MOVES = {
    "submitted": [],
    "accepted": ["accept"],
    "scheduled": ["accept", "schedule"],
    "in_progress": ["accept", "start"],
    "completed": ["accept", "start", "complete"],
    "withdrawn": ["withdraw"],
    "escalated": ["escalate"],
    "failed": ["accept", "fail"],
}
EXPECTED = {
    "submitted": "requested",
    "accepted": "accepted",
    "scheduled": "ready",
    "in_progress": "in-progress",
    "completed": "completed",
    "withdrawn": "cancelled",
    "rejected": "rejected",
    "escalated": "received",
    "failed": "failed",
}


def test_the_expectations_cover_every_demand_status():
    assert set(EXPECTED) == set(DemandStatus.values)
    assert set(MOVES) == set(DemandStatus.values) - {"rejected"}  # not reachable: see below


@pytest.mark.parametrize("status", sorted(MOVES))
def test_status_mapping_through_the_services(fhir, cast, slot, frozen, status):  # noqa: F811
    demand = file(cast)
    doctor = cast.doctor_a
    act = {
        "accept": lambda: services.accept_demand(actor=doctor, demand=demand),
        "schedule": lambda: services.schedule_demand(actor=doctor, demand=demand, slot=slot),
        "start": lambda: services.start_demand(actor=doctor, demand=demand),
        "complete": lambda: services.complete_demand(actor=doctor, demand=demand),
        "withdraw": lambda: services.withdraw_demand(actor=cast.wang_user, demand=demand,
                                                     reason="已去医院"),
        "escalate": lambda: services.escalate_demand(actor=doctor, demand=demand),
        "fail": lambda: services.fail_demand(actor=doctor, demand=demand, reason="联系不上"),
    }  # fmt: skip
    for move in MOVES[status]:
        act[move]()
    assert Demand.objects.get(pk=demand.pk).status == status
    api = fhir(doctor)

    task = Task.model_validate(api.get(f"/Task/{demand.public_id}").json())

    assert task.status == EXPECTED[status]
    assert [(c.system, c.code) for c in task.businessStatus.coding] == [
        (DEMAND_STATUS_SYSTEM, status)
    ]
    assert ids(api.get("/Task", status=EXPECTED[status])) == [demand.public_id]
    assert ids(api.get("/Task", **{"business-status": status})) == [demand.public_id]
    reasons = {"withdrawn": "已去医院", "failed": "联系不上"}
    assert (task.statusReason.text if task.statusReason else None) == reasons.get(status)
    assert (task.executionPeriod is not None) == ("accept" in MOVES[status])
    if status == "completed":
        assert task.executionPeriod.end == NOW


def test_rejected_status_maps_to_rejected(cast, frozen):  # noqa: F811
    """No service moves a demand to "rejected" (rejecting sends it back to matching), so the
    mapping is checked on a demand changed in memory only."""
    demand = file(cast)
    handler = get_handler("Task")
    ctx = FhirContext(caller=Caller(user=cast.doctor_a, via="token"), base_url="http://x/")
    demand = handler.search(ctx).get(pk=demand.pk)
    demand.status = DemandStatus.REJECTED

    task = handler.to_fhir(ctx, demand)

    assert (task.status, task.businessStatus.coding[0].code) == ("rejected", "rejected")


def test_a_rejected_demand_is_requested_again_with_the_reason(fhir, cast, frozen):  # noqa: F811
    demand = file(cast)
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    services.reject_demand(actor=cast.doctor_a, demand=demand, reason="不在服务范围")

    task = Task.model_validate(fhir(cast.doctor_a).get(f"/Task/{demand.public_id}").json())

    assert (task.status, task.businessStatus.coding[0].code) == ("requested", "submitted")
    assert task.statusReason.text == "不在服务范围"
    assert task.owner is None and task.executionPeriod is None


# ---- search -------------------------------------------------------------------------------------


def test_search_by_patient_status_priority_code_and_authored_on(fhir, cast, frozen):  # noqa: F811
    refill = Service.objects.get(code=REFILL)
    first = file(cast, service=refill, description="")
    frozen(NOW + timedelta(days=1))
    urgent = file(cast, resident=cast.li, description="高烧39度")
    frozen(NOW + timedelta(days=2))
    accepted = file(cast, description="想量血压")
    services.accept_demand(actor=cast.doctor_a, demand=accepted)
    api = fhir(cast.doctor_a)

    assert ids(api.get("/Task")) == [accepted.public_id, urgent.public_id, first.public_id]
    assert ids(api.get("/Task", patient=cast.li.public_id)) == [urgent.public_id]
    assert ids(api.get("/Task", subject=f"Patient/{cast.wang.public_id}")) == [
        accepted.public_id, first.public_id
    ]  # fmt: skip
    assert ids(api.get("/Task", patient=f"Practitioner/{cast.wang.public_id}")) == []
    assert ids(api.get("/Task", status="requested")) == [urgent.public_id, first.public_id]
    assert ids(api.get("/Task", status="http://hl7.org/fhir/task-status|accepted")) == [
        accepted.public_id
    ]
    assert ids(api.get("/Task", status="accepted,requested", patient=cast.li.public_id)) == [
        urgent.public_id
    ]
    assert ids(api.get("/Task", priority="urgent")) == [urgent.public_id]
    assert ids(api.get("/Task", priority="stat")) == []
    assert ids(api.get("/Task", code=f"{SERVICE_SYSTEM}|{REFILL}")) == [first.public_id]
    assert ids(api.get("/Task", code=f"other|{REFILL}")) == []
    assert ids(api.get("/Task", **{"authored-on": "2026-02-10"})) == [urgent.public_id]
    assert ids(api.get("/Task", **{"authored-on": ["ge2026-02-10", "lt2026-02-11"]})) == [
        urgent.public_id
    ]
    assert ids(api.get("/Task", **{"authored-on": "lt2026-02-10T08:00:00+08:00"})) == [
        first.public_id
    ]
    assert ids(api.get("/Task", _id=first.public_id)) == [first.public_id]


def test_search_by_owner(fhir, cast, net, frozen):  # noqa: F811
    demand = file(cast)
    file(cast, description="想做康复")
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    api = fhir(cast.director)

    assert ids(api.get("/Task", owner=f"PractitionerRole/{net.doctor.public_id}")) == [
        demand.public_id
    ]
    assert ids(api.get("/Task", owner=f"Practitioner/{net.doctor.public_id}")) == [demand.public_id]
    assert ids(api.get("/Task", owner=f"Patient/{net.doctor.public_id}")) == []


def test_search_pages_and_refuses_what_it_does_not_know(fhir, cast, frozen):  # noqa: F811
    for n in range(3):
        file(cast, description=f"想量血压{n}")
    api = fhir(cast.doctor_a)

    page = Bundle.model_validate(api.get("/Task", _count="2").json())

    assert (page.total, len(page.entry)) == (3, 2)
    assert "next" in {link.relation for link in page.link}
    assert api.get("/Task", **{"authored-on": "ge2026-13-45"}).status_code == 400
    refused = api.get("/Task", colour="red")
    assert refused.status_code == 400
    assert outcome_issues(refused)[0]["code"] == "not-supported"


@pytest.mark.usefixtures("net")
def test_a_page_of_50_tasks_has_no_per_row_queries(
    fhir,
    cast,
    frozen,  # noqa: F811
    django_assert_max_num_queries,
):
    refill = Service.objects.get(code=REFILL)
    for n in range(50):
        frozen(NOW + timedelta(minutes=11 * n))  # not the same need filed again
        demand = file(
            cast, resident=cast.li if n % 2 else cast.wang, service=refill if n % 3 else None,
            actor=cast.doctor_a if n % 4 else cast.wang_user,
            channel="staff_phone" if n % 4 else "resident_web",
        )  # fmt: skip
        if n % 5 == 0:
            services.accept_demand(actor=cast.doctor_a, demand=demand)
        elif n % 5 == 1:
            services.accept_demand(actor=cast.director, demand=demand)
    api = fhir(cast.doctor_a)
    api.get("/metadata")  # the token's first use is recorded once

    with CaptureQueriesContext(connection) as one:
        assert len(ids(api.get("/Task", _count="1"))) == 1
    # the token, the caller's roles, the count, the page (with resident, service, requester,
    # owner and booked slot joined), its events and one audit event for the page (two
    # residents): no more than for a page of one
    with django_assert_max_num_queries(min(len(one), 5 + AUDIT_QUERIES)):
        assert len(ids(api.get("/Task", _count="50"))) == 50


# ---- scope, authentication, read-only -----------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("doctor_a", 200), ("nurse_a", 200), ("director", 200), ("wang_user", 200),
     ("doctor_b", 404), ("zhao_user", 404), ("west_director", 404), ("cashier", 404)],
)  # fmt: skip
def test_read_scope(fhir, cast, frozen, persona, status):  # noqa: F811
    demand = file(cast, resident=cast.li)

    response = fhir(getattr(cast, persona)).get(f"/Task/{demand.public_id}")

    assert response.status_code == status
    if status == 404:
        assert outcome_issues(response)[0]["code"] == "not-found"


def test_search_scope(fhir, cast, frozen):  # noqa: F811
    wangs = file(cast)
    zhaos = file(cast, resident=cast.zhao, actor=cast.zhao_user)

    assert ids(fhir(cast.wang_user).get("/Task")) == [wangs.public_id]
    assert ids(fhir(cast.zhao_user).get("/Task")) == [zhaos.public_id]
    assert ids(fhir(cast.doctor_b).get("/Task")) == [zhaos.public_id]
    assert ids(fhir(cast.doctor_b).get("/Task", patient=cast.wang.public_id)) == []
    assert ids(fhir(cast.west_director).get("/Task")) == []


def test_unknown_id_is_404_and_anonymous_is_401(fhir, cast, frozen):  # noqa: F811
    demand = file(cast)

    assert fhir(cast.doctor_a).get("/Task/nope").status_code == 404
    anonymous = fhir(None)
    assert anonymous.get(f"/Task/{demand.public_id}").status_code == 401
    assert anonymous.get("/Task").status_code == 401


def test_staff_reads_and_search_pages_are_audited(fhir, cast, frozen):  # noqa: F811
    wangs = file(cast)
    lis = file(cast, resident=cast.li, description="咳嗽")

    def viewed():
        return AuditEvent.objects.filter(action="careloop.resident.viewed").order_by("id")

    fhir(cast.wang_user).get(f"/Task/{wangs.public_id}")  # one's own: not recorded
    assert not viewed().exists()

    doctor = fhir(cast.doctor_a)
    assert doctor.get(f"/Task/{wangs.public_id}").status_code == 200
    event = viewed().get()
    assert (event.actor_id, event.object_type, event.object_id) == (
        cast.doctor_a.pk, "residents.resident", cast.wang.public_id,
    )  # fmt: skip
    assert event.detail == {
        "purpose": "fhir.read", "residents": [cast.wang.public_id], "demands": [wangs.public_id],
    }  # fmt: skip

    page = ids(doctor.get("/Task"))
    event = viewed().last()
    assert viewed().count() == 2 and event.object_id == ""
    assert event.detail == {
        "purpose": "fhir.search",
        "residents": sorted([cast.wang.public_id, cast.li.public_id]),
        "demands": page,
    }
    assert sorted(page) == sorted([wangs.public_id, lis.public_id])
    # Nothing found, nothing disclosed.
    assert doctor.get("/Task/nope").status_code == 404
    assert ids(doctor.get("/Task", status="completed")) == []
    assert viewed().count() == 2


def test_create_and_update_are_405_and_write_nothing(fhir, cast, frozen):  # noqa: F811
    demand = file(cast)
    api = fhir(cast.doctor_a)
    body = api.get(f"/Task/{demand.public_id}").json()
    before = (Demand.objects.count(), DemandEvent.objects.count(), AuditEvent.objects.count())

    created = api.post("/Task", {k: v for k, v in body.items() if k != "id"})
    updated = api.put(f"/Task/{demand.public_id}", {**body, "status": "completed"})

    assert (created.status_code, updated.status_code) == (405, 405)
    assert created["Allow"] == "GET"
    assert outcome_issues(updated)[0]["code"] == "not-supported"
    assert (Demand.objects.count(), DemandEvent.objects.count(), AuditEvent.objects.count()) == (
        before
    )
    assert Demand.objects.get(pk=demand.pk).status == "submitted"


def test_metadata_lists_task_read_only_with_its_search_params(client):
    response = client.get("/fhir/r4/metadata", HTTP_ACCEPT=FHIR_JSON)

    statement = CapabilityStatement.model_validate_json(response.content)
    task = next(r for r in statement.rest[0].resource if r.type == "Task")
    assert [i.code for i in task.interaction] == ["read", "search-type"]
    assert {p.name for p in task.searchParam} == SEARCH_PARAMS
    types = {p.name: p.type for p in task.searchParam}
    assert (types["authored-on"], types["status"], types["patient"]) == (
        "date", "token", "reference"
    )  # fmt: skip
    assert task.conditionalCreate is False


# ---- fhirpy against the live server -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_tasks_through_fhirpy(client_for, live_cast):  # noqa: F811
    cast = live_cast
    mine = file(cast, description="想量血压")
    urgent = file(cast, resident=cast.li, description="高烧不退")
    theirs = file(cast, resident=cast.zhao, actor=cast.zhao_user)
    services.accept_demand(actor=cast.doctor_a, demand=mine)
    client = client_for(cast.doctor_a)

    found = client.resources("Task").search(patient=cast.wang.public_id).fetch_all()
    assert [task.id for task in found] == [mine.public_id]
    assert found[0]["status"] == "accepted"
    waiting = client.resources("Task").search(status="requested", priority="urgent").fetch()
    assert [task.id for task in waiting] == [urgent.public_id]
    every = list(client.resources("Task").limit(1))  # follows the next links
    assert sorted(task.id for task in every) == sorted([mine.public_id, urgent.public_id])
    read = client.reference("Task", mine.public_id).to_resource()
    Task.model_validate(read.serialize())
    assert read["for"]["reference"] == f"Patient/{cast.wang.public_id}"
    with pytest.raises(ResourceNotFound):
        client.reference("Task", theirs.public_id).to_resource()
