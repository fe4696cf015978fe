"""The supply side through FHIR: HealthcareService, Organization, Practitioner,
PractitionerRole, Schedule and Slot read and search as valid R4B resources, are listed in the
CapabilityStatement, and ``Slot?service-type=&status=free&start=ge…`` returns exactly the free
slots asked for (also through fhirpy against the live server)."""

from __future__ import annotations

from datetime import date

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot
from fhirpy import SyncFHIRClient

from careloop.catalogue import services
from careloop.catalogue.models import Service, Slot
from careloop.core import tokens
from careloop.fhir.resources.healthcareservice import (
    CATEGORY_SYSTEM,
    MODE_SYSTEM,
    ORGANISATION_ID_SYSTEM,
    SERVICE_SYSTEM,
    TAG_SYSTEM,
    TIER_SYSTEM,
)
from tests.catalogue.conftest import frozen, net  # noqa: F401 (fixtures)
from tests.fhir.conftest import FHIR_JSON

START = date(2026, 2, 9)  # Monday; the conftest freezes time at 08:00 that day
SEARCH_TYPES = {
    "HealthcareService": {"_id", "identifier", "name", "service-category", "service-type",
                          "program", "characteristic", "active"},
    "Organization": {"_id", "identifier", "name", "type", "active"},
    "Practitioner": {"_id", "name", "gender", "qualification", "active"},
    "PractitionerRole": {"_id", "practitioner", "organization", "service", "specialty", "role",
                         "active"},
    "Schedule": {"_id", "actor", "service-type", "date", "active"},
    "Slot": {"_id", "service-type", "status", "start", "schedule", "appointment-type",
             "practitioner"},
}  # fmt: skip


@pytest.fixture
def supply(cast, net):  # noqa: F811
    """Slots Monday–Wednesday; the first yoga class (14:00 Wednesday) fully booked."""
    services.generate_slots(actor=cast.director, start=START, days=3)
    yoga = list(Slot.objects.filter(provider=net.therapist).order_by("start"))
    for resident in (cast.wang, cast.li, cast.zhao):
        services.book_slot(actor=cast.director, slot=yoga[0], resident=resident)
    return yoga


def entries(response) -> list[dict]:
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "searchset"
    return [e.resource.model_dump(mode="json") for e in bundle.entry or []]


# ---- metadata ------------------------------------------------------------------------------


def test_metadata_lists_the_supply_side_with_search_params(client):
    response = client.get("/fhir/r4/metadata", HTTP_ACCEPT=FHIR_JSON)

    statement = CapabilityStatement.model_validate_json(response.content)
    resources = {r.type: r for r in statement.rest[0].resource}
    for resource_type, params in SEARCH_TYPES.items():
        entry = resources[resource_type]
        assert [i.code for i in entry.interaction] == ["read", "search-type"]
        assert {p.name for p in entry.searchParam} == params
    slot_params = {p.name: p.type for p in resources["Slot"].searchParam}
    assert slot_params["start"] == "date" and slot_params["status"] == "token"


# ---- reads: each resource is valid R4B ---------------------------------------------------------


def test_healthcare_service_read(fhir, cast):
    response = fhir(cast.zhao_user).get("/HealthcareService/maintenance.postpartum-rehab")

    assert response.status_code == 200
    resource = HealthcareService.model_validate_json(response.content)
    assert resource.id == "maintenance.postpartum-rehab"
    assert resource.identifier[0].system == SERVICE_SYSTEM
    assert resource.identifier[0].value == "maintenance.postpartum_rehab"
    assert resource.name == "产后康复"
    body = response.json()
    assert body["_name"]["extension"][0]["extension"][1]["valueString"] == (
        "Postpartum rehabilitation"
    )
    assert [(c.system, c.code) for c in resource.category[0].coding] == [
        (CATEGORY_SYSTEM, "rehabilitation")
    ]
    assert resource.type[0].coding[0].code == "maintenance.postpartum_rehab"
    assert [(c.system, c.code) for c in resource.program[0].coding] == [
        (TIER_SYSTEM, "maintenance")
    ]
    assert [c.coding[0].code for c in resource.characteristic] == ["home", "clinic"]
    assert resource.characteristic[0].coding[0].system == MODE_SYSTEM
    eligibility = resource.eligibility[0]
    assert eligibility.comment == "Women only; Requires: " + _tag_name("postpartum")
    assert [(c.system, c.code) for c in eligibility.code.coding] == [(TAG_SYSTEM, "postpartum")]
    assert resource.availableTime is None


def _tag_name(code: str) -> str:
    from careloop.catalogue.models import Tag

    return Tag.objects.get(code=code).name_en


def test_healthcare_service_search(fhir, cast):
    client = fhir(cast.zhao_user)

    by_identifier = entries(
        client.get("/HealthcareService", identifier=f"{SERVICE_SYSTEM}|basic.common_illness")
    )
    assert [r["id"] for r in by_identifier] == ["basic.common-illness"]
    assert entries(client.get("/HealthcareService", identifier="other|basic.common_illness")) == []
    by_name = entries(client.get("/HealthcareService", name="产后"))
    assert [r["name"] for r in by_name] == ["产后康复"]
    screening = entries(
        client.get("/HealthcareService", **{"service-category": "screening", "_count": "100"})
    )
    expected = Service.objects.filter(category="screening").count()
    assert len(screening) == expected > 0
    assert all(r["category"][0]["coding"][0]["code"] == "screening" for r in screening)
    for resource in screening:
        HealthcareService.model_validate(resource)


def test_organization_read_and_search(fhir, cast, net):  # noqa: F811
    client = fhir(cast.zhao_user)
    response = client.get(f"/Organization/{net.hospital.public_id}")

    organization = Organization.model_validate_json(response.content)
    assert organization.name == "武昌区人民医院"
    assert organization.identifier[0].system == ORGANISATION_ID_SYSTEM
    assert organization.identifier[0].value == "wuchang.hospital"
    assert organization.type[0].coding[0].code == "hospital"
    assert [r["id"] for r in entries(client.get("/Organization", type="hospital"))] == [
        net.hospital.public_id
    ]
    assert [r["name"] for r in entries(client.get("/Organization", name="东湖"))] == [
        "东湖社区卫生服务中心"
    ]
    assert client.get("/Organization/nope").status_code == 404


def test_practitioner_and_role(fhir, cast, net):  # noqa: F811
    client = fhir(cast.zhao_user)
    practitioner = Practitioner.model_validate_json(
        client.get(f"/Practitioner/{net.doctor.public_id}").content
    )
    assert practitioner.gender == "male"
    name = practitioner.name[0]
    assert (name.text, name.family, name.given) == ("王医生", "王", ["医生"])
    assert [q.code.coding[0].code for q in practitioner.qualification] == ["doctor"]
    assert [c.coding[0].code for c in practitioner.communication] == ["zh", "zh-wuhan"]
    found = entries(client.get("/Practitioner", name="康复", gender="female"))
    assert [r["id"] for r in found] == [net.therapist.public_id]

    role = PractitionerRole.model_validate_json(
        client.get(f"/PractitionerRole/{net.cardiologist.public_id}").content
    )
    assert role.practitioner.reference == f"Practitioner/{net.cardiologist.public_id}"
    assert role.organization.reference == f"Organization/{net.hospital.public_id}"
    assert role.code[0].coding[0].code == "practitioner" and role.code[0].text == "主任医师"
    assert [s.coding[0].code for s in role.specialty] == ["specialist"]
    assert [s.reference for s in role.healthcareService] == [
        "HealthcareService/basic.specialist-clinic"
    ]
    at_centre = entries(
        client.get("/PractitionerRole", organization=f"Organization/{net.centre.public_id}")
    )
    assert len(at_centre) == 3
    yoga = entries(
        client.get("/PractitionerRole", service="HealthcareService/development.yoga-class")
    )
    assert [r["id"] for r in yoga] == [net.therapist.public_id]


def test_schedule_read_and_search(fhir, cast, net):  # noqa: F811
    client = fhir(cast.zhao_user)
    schedule = Schedule.model_validate_json(
        client.get(f"/Schedule/{net.class_wednesday.public_id}").content
    )
    assert [a.reference for a in schedule.actor] == [
        f"Practitioner/{net.therapist.public_id}",
        f"Organization/{net.centre.public_id}",
    ]
    assert [c.coding[0].code for c in schedule.serviceType] == ["development.yoga_class"]
    assert schedule.planningHorizon.start.isoformat().startswith("2026-01-01")
    assert schedule.active is True

    # The Monday clinic names no services: it offers all of the doctor's.
    foot = entries(
        client.get("/Schedule", **{"service-type": "maintenance.diabetic_foot_screening"})
    )
    assert [r["id"] for r in foot] == [net.clinic_monday.public_id]
    by_actor = entries(client.get("/Schedule", actor=f"Practitioner/{net.therapist.public_id}"))
    assert [r["id"] for r in by_actor] == [net.class_wednesday.public_id]


def test_slot_read_and_status(fhir, cast, supply):
    client = fhir(cast.zhao_user)
    full = FhirSlot.model_validate_json(client.get(f"/Slot/{supply[0].public_id}").content)
    assert full.status == "busy"
    assert full.schedule.reference.startswith("Schedule/")
    assert full.appointmentType.coding[0].code == "group"
    assert [c.coding[0].code for c in full.serviceType] == ["development.yoga_class"]
    free = FhirSlot.model_validate_json(client.get(f"/Slot/{supply[1].public_id}").content)
    assert free.status == "free"
    assert free.start == supply[1].start and free.end == supply[1].end


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # The typical search: free yoga places on Wednesday.
        ([("service-type", "development.yoga_class"), ("status", "free"),
          ("start", "ge2026-02-11"), ("start", "lt2026-02-12")], [1, 2]),
        ([("service-type", f"{SERVICE_SYSTEM}|development.yoga_class"), ("status", "free")],
         [1, 2]),
        ([("service-type", "development.yoga_class"), ("status", "busy")], [0]),
        ([("service-type", "development.yoga_class"), ("start", "gt2026-02-11T15:00:00+08:00")],
         [2]),
        ([("service-type", "development.yoga_class"), ("start", "le2026-02-11T14:00:00+08:00")],
         [0]),
        ([("service-type", "development.yoga_class"), ("start", "lt2026-02-11")], []),
        ([("service-type", "development.yoga_class"), ("start", "eq2026-02-11")], [0, 1, 2]),
        ([("service-type", "other|development.yoga_class")], []),
    ],
)  # fmt: skip
def test_slot_search(client, cast, supply, params, expected):
    key = tokens.issue_api_token(actor=cast.zhao_user).key
    query = "&".join(f"{name}={value.replace('+', '%2B')}" for name, value in params)
    response = client.get(
        f"/fhir/r4/Slot?{query}", HTTP_ACCEPT=FHIR_JSON, HTTP_AUTHORIZATION=f"Bearer {key}"
    )

    found = entries(response)
    assert [r["id"] for r in found] == [supply[i].public_id for i in expected]
    for resource in found:
        FhirSlot.model_validate(resource)


def test_slot_search_pages_and_refuses_bad_dates(fhir, cast, supply):
    client = fhir(cast.zhao_user)
    page = client.get("/Slot", status="free", _count="2")
    bundle = Bundle.model_validate_json(page.content)
    assert bundle.total == Slot.objects.count() - 1  # all but the full class
    assert len(bundle.entry) == 2
    assert "next" in {link.relation for link in bundle.link}
    assert client.get("/Slot", start="ge2026-13-45").status_code == 400
    assert client.get("/Slot", colour="red").status_code == 400


def test_reads_need_a_login(fhir, cast, net):  # noqa: F811
    anonymous = fhir(None)
    assert anonymous.get("/HealthcareService/basic.common-illness").status_code == 401
    assert anonymous.get("/Slot").status_code == 401


# ---- fhirpy against the live server -------------------------------------------------------------


@pytest.fixture
def live_supply(transactional_db, request, frozen):  # noqa: F811
    """The cast and network committed for the live server's thread. A transactional test
    ends by flushing every table, so the role groups and the shipped catalogue are put back
    first."""
    from django.contrib.auth.models import Group

    from careloop.core.roles import Role

    for role in Role:
        Group.objects.get_or_create(name=str(role))
    services.load_catalogue(actor=None)
    services.load_holidays(actor=None)
    request.getfixturevalue("net")
    return request.getfixturevalue("supply")


def test_slot_search_through_fhirpy(live_server, live_supply, cast):
    key = tokens.issue_api_token(actor=cast.wang_user).key
    client = SyncFHIRClient(
        live_server.url + "/fhir/r4",
        authorization=f"Bearer {key}",
        extra_headers={"Accept-Language": "en"},
    )

    found = (
        client.resources("Slot")
        .search(**{"service-type": "development.yoga_class"}, status="free")
        .search(start__ge="2026-02-11", start__lt="2026-02-12")
        .limit(1)
        .fetch_all()
    )

    assert [slot.id for slot in found] == [s.public_id for s in live_supply[1:]]
    for slot in found:
        FhirSlot.model_validate(slot.serialize())
        assert slot["status"] == "free"
    service = client.reference("HealthcareService", "development.yoga-class").to_resource()
    assert HealthcareService.model_validate(service.serialize()).name == "瑜伽课程"
