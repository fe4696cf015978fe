"""POST /fhir/r4/ with transaction and batch Bundles: all-or-nothing versus per entry,
urn:uuid and conditional references resolved for any resource type, idempotent re-posts."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.flag import Flag

from careloop.core.models import AuditEvent
from careloop.fhir import registry
from careloop.fhir.registry import ResourceHandler
from careloop.residents import selectors
from careloop.residents.models import Resident
from tests.conftest import ID_WANG
from tests.fhir.conftest import (
    ID_SYSTEM,
    bad_check_digit,
    outcome_issues,
    patient_body,
    valid_id,
    written,
)

UUID_A = "urn:uuid:6f1c7a52-0d1f-4b8e-9a43-1f0f5f0f0a01"
UUID_B = "urn:uuid:6f1c7a52-0d1f-4b8e-9a43-1f0f5f0f0a02"


def post_entry(resource, full_url=None, if_none_exist=None):
    entry = {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
    if full_url:
        entry["fullUrl"] = full_url
    if if_none_exist:
        entry["request"]["ifNoneExist"] = if_none_exist
    return entry


def bundle(kind, *entries):
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def statuses(response) -> list[str]:
    parsed = Bundle.model_validate_json(response.content)
    return [entry.response.status for entry in parsed.entry]


class FlagResource(ResourceHandler[Resident]):
    """A throw-away type whose subject references a Patient: proves reference resolution is
    generic (nothing in the Bundle processor knows about Flag)."""

    resource_type = "Flag"
    model = Flag
    subjects: list[str] = []

    def create(self, ctx, resource):
        reference = resource.subject.reference
        FlagResource.subjects.append(reference)
        return selectors.get_resident_for(ctx.user, reference.removeprefix("Patient/"))

    def logical_id(self, obj):
        return f"flag-{obj.public_id}"

    def to_fhir(self, ctx, obj):
        return Flag.model_validate(
            {
                "resourceType": "Flag",
                "id": self.logical_id(obj),
                "status": "active",
                "code": {"text": "test"},
                "subject": {"reference": f"Patient/{obj.public_id}"},
            }
        )


@pytest.fixture
def flag_type():
    FlagResource.subjects = []
    registry.register(FlagResource)
    yield FlagResource
    registry.unregister(["Flag"])


def flag(subject: str) -> dict:
    return {
        "resourceType": "Flag",
        "status": "active",
        "code": {"text": "test"},
        "subject": {"reference": subject},
    }


# ---- transaction ---------------------------------------------------------------------------


def test_transaction_with_an_invalid_second_patient_writes_nothing(fhir, cast):
    client = fhir(cast.director)
    before = written()

    response = client.post(
        "/",
        bundle(
            "transaction",
            post_entry(patient_body("周杰", valid_id(11))),
            post_entry(patient_body("吴倩", bad_check_digit(valid_id(12)))),
        ),
    )

    assert response.status_code == 400
    issues = outcome_issues(response)
    assert issues[0]["expression"] == ["Bundle.entry[1].resource.identifier"]
    assert issues[0]["diagnostics"].startswith("Entry 1: ")
    assert written() == before


def test_transaction_creates_all_and_answers_in_entry_order(fhir, cast):
    client = fhir(cast.director)
    before = Resident.objects.count()

    response = client.post(
        "/",
        bundle(
            "transaction",
            post_entry(patient_body("周杰", valid_id(11))),
            post_entry(patient_body("吴倩", valid_id(12, female=True))),
        ),
    )

    assert response.status_code == 200, response.json()
    parsed = Bundle.model_validate_json(response.content)
    assert parsed.type == "transaction-response"
    assert statuses(response) == ["201 Created", "201 Created"]
    assert [e.resource.name[0].text for e in parsed.entry] == ["周杰", "吴倩"]
    assert all(e.response.location == f"Patient/{e.resource.id}" for e in parsed.entry)
    assert Resident.objects.count() == before + 2


def test_reposting_a_bundle_with_if_none_exist_stores_nothing_new(fhir, cast):
    client = fhir(cast.director)
    numbers = [valid_id(13), valid_id(14)]
    payload = bundle(
        "transaction",
        *(
            post_entry(patient_body(name, number), if_none_exist=f"identifier={ID_SYSTEM}|{number}")
            for name, number in zip(["郑成", "冯远"], numbers, strict=True)
        ),
    )

    first = client.post("/", payload)
    residents = Resident.objects.count()
    created = AuditEvent.objects.filter(action="careloop.resident.created").count()
    second = client.post("/", payload)

    assert statuses(first) == ["201 Created", "201 Created"]
    assert statuses(second) == ["200 OK", "200 OK"]
    ids = [e["resource"]["id"] for e in first.json()["entry"]]
    assert [e["resource"]["id"] for e in second.json()["entry"]] == ids
    assert Resident.objects.count() == residents
    assert AuditEvent.objects.filter(action="careloop.resident.created").count() == created


def test_if_none_exist_matching_several_is_412(fhir, cast):
    client = fhir(cast.director)
    before = written()

    response = client.post(
        "/",
        bundle(
            "transaction",
            post_entry(patient_body("郑成", valid_id(15)), if_none_exist="gender=male"),
        ),
    )

    assert response.status_code == 412
    assert outcome_issues(response)[0]["code"] == "multiple-matches"
    assert written() == before


def test_urn_uuid_references_resolve_for_any_type_whatever_the_entry_order(fhir, cast, flag_type):
    client = fhir(cast.director)

    response = client.post(
        "/",
        bundle(
            "transaction",
            post_entry(flag(UUID_A)),  # references the Patient posted after it
            post_entry(patient_body("褚明", valid_id(16)), full_url=UUID_A),
        ),
    )

    assert response.status_code == 200, response.json()
    created = Resident.objects.get(name="褚明")
    assert flag_type.subjects == [f"Patient/{created.public_id}"]
    assert statuses(response) == ["201 Created", "201 Created"]
    assert response.json()["entry"][1]["response"]["location"] == f"Patient/{created.public_id}"


def test_an_unresolvable_urn_rolls_back_the_whole_transaction(fhir, cast, flag_type):
    client = fhir(cast.director)
    before = written()

    response = client.post(
        "/",
        bundle(
            "transaction",
            post_entry(patient_body("褚明", valid_id(16)), full_url=UUID_A),
            post_entry(flag(UUID_B)),
        ),
    )

    assert response.status_code == 400
    assert outcome_issues(response)[0]["expression"] == [
        "Bundle.entry[1].resource.subject.reference"
    ]
    assert written() == before
    assert flag_type.subjects == []


def test_conditional_reference_resolves_by_search(fhir, cast, flag_type):
    client = fhir(cast.director)

    response = client.post(
        "/", bundle("transaction", post_entry(flag(f"Patient?identifier={ID_SYSTEM}|{ID_WANG}")))
    )

    assert response.status_code == 200, response.json()
    assert flag_type.subjects == [f"Patient/{cast.wang.public_id}"]


def test_conditional_reference_out_of_scope_does_not_resolve(fhir, cast, flag_type):
    response = fhir(cast.doctor_b).post(
        "/", bundle("transaction", post_entry(flag(f"Patient?identifier={ID_SYSTEM}|{ID_WANG}")))
    )

    assert response.status_code == 400
    assert outcome_issues(response)[0]["code"] == "not-found"


def test_reference_cycle_is_refused(fhir, cast, flag_type):
    a = {**flag(UUID_B)}
    b = {**flag(UUID_A)}

    response = fhir(cast.director).post(
        "/", bundle("transaction", post_entry(a, full_url=UUID_A), post_entry(b, full_url=UUID_B))
    )

    assert response.status_code == 400


def test_transaction_get_entries_read_and_search(fhir, cast):
    response = fhir(cast.director).post(
        "/",
        bundle(
            "transaction",
            {"request": {"method": "GET", "url": f"Patient/{cast.wang.public_id}"}},
            {"request": {"method": "GET", "url": f"Patient?identifier={ID_SYSTEM}|{ID_WANG}"}},
        ),
    )

    assert response.status_code == 200
    entries = response.json()["entry"]
    assert entries[0]["resource"]["id"] == cast.wang.public_id
    assert entries[1]["resource"]["type"] == "searchset"
    assert entries[1]["resource"]["total"] == 1


# ---- batch ----------------------------------------------------------------------------------


def test_batch_keeps_the_good_entry_and_reports_the_bad_one(fhir, cast):
    client = fhir(cast.director)
    residents = Resident.objects.count()

    response = client.post(
        "/",
        bundle(
            "batch",
            post_entry(patient_body("周杰", valid_id(11))),
            post_entry(patient_body("吴倩", bad_check_digit(valid_id(12)))),
        ),
    )

    assert response.status_code == 200
    parsed = Bundle.model_validate_json(response.content)
    assert parsed.type == "batch-response"
    assert statuses(response) == ["201 Created", "400 Bad Request"]
    outcome = parsed.entry[1].response.outcome
    assert outcome.issue[0].expression == ["Bundle.entry[1].resource.identifier"]
    assert Resident.objects.count() == residents + 1
    assert Resident.objects.filter(name="周杰").exists()
    assert not Resident.objects.filter(name="吴倩").exists()


def test_batch_entries_may_not_reference_each_other(fhir, cast, flag_type):
    response = fhir(cast.director).post(
        "/",
        bundle(
            "batch",
            post_entry(patient_body("褚明", valid_id(16)), full_url=UUID_A),
            post_entry(flag(UUID_A)),
        ),
    )

    assert statuses(response) == ["201 Created", "400 Bad Request"]
    assert flag_type.subjects == []


def test_batch_reports_structural_and_unsupported_entries(fhir, cast):
    response = fhir(cast.director).post(
        "/",
        bundle(
            "batch",
            {"resource": patient_body("周杰", valid_id(11))},
            {"request": {"method": "DELETE", "url": f"Patient/{cast.wang.public_id}"}},
            {"request": {"method": "GET", "url": "Patient/nobody"}},
            post_entry({"resourceType": "Patient", "birthDate": "not a date"}),
        ),
    )

    assert statuses(response) == [
        "400 Bad Request",
        "405 Method Not Allowed",
        "404 Not Found",
        "400 Bad Request",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Bundle", "type": "collection", "entry": []},
        {"resourceType": "Patient"},
        [],
        {"resourceType": "Bundle", "type": "batch", "entry": {}},
    ],
)
def test_only_batch_and_transaction_bundles_are_accepted(fhir, cast, body):
    response = fhir(cast.director).post("/", body)

    assert response.status_code == 400
    assert outcome_issues(response)


def test_bundle_needs_authentication(fhir, cast):
    before = written()

    response = fhir(None).post("/", bundle("batch", post_entry(patient_body("周杰", valid_id(11)))))

    assert response.status_code == 401
    assert written() == before
