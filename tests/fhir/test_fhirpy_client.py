"""A real FHIR client library (fhirpy's SyncFHIRClient) against the live server: the
acceptance path of issue 3 for Patient, transactions and paging."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from careloop.core import tokens
from careloop.core.models import AuditEvent
from careloop.residents.models import Resident
from tests.conftest import restore_migration_data
from tests.fhir.conftest import ID_SYSTEM, bad_check_digit, patient_body, valid_id


@pytest.fixture
def live_cast(transactional_db, request):
    """The cast, committed so the live server's thread sees it. A transactional test ends by
    flushing every table, the rows the data migrations made included: put them back."""
    restore_migration_data()
    return request.getfixturevalue("cast")


@pytest.fixture
def client_for(live_server):
    def make(user) -> SyncFHIRClient:
        key = tokens.issue_api_token(actor=user).key
        return SyncFHIRClient(
            live_server.url + "/fhir/r4",
            authorization=f"Bearer {key}",
            extra_headers={"Accept-Language": "en"},
        )

    return make


def counts() -> tuple[int, int]:
    return Resident.objects.count(), AuditEvent.objects.count()


def test_metadata_through_fhirpy(client_for, live_cast):
    client = client_for(live_cast.director)

    statement = CapabilityStatement.model_validate(client.execute("metadata", method="get"))

    patient = next(r for r in statement.rest[0].resource if r.type == "Patient")
    assert {i.code for i in patient.interaction} == {"read", "search-type", "create", "update"}
    assert {"identifier", "name", "birthdate"} <= {p.name for p in patient.searchParam}


def test_create_search_by_identifier_and_read_back(client_for, live_cast):
    client = client_for(live_cast.director)
    number = valid_id(21)

    patient = client.resource(
        "Patient",
        identifier=[{"system": ID_SYSTEM, "value": number}],
        name=[{"text": "诸葛亮"}],
        telecom=[{"system": "phone", "value": "13600000021"}],
    )
    patient.save()

    assert patient.id
    found = client.resources("Patient").search(identifier=f"{ID_SYSTEM}|{number}").fetch()
    assert [p.id for p in found] == [patient.id]
    read = client.reference("Patient", patient.id).to_resource()
    assert read["name"][0] == {
        "use": "official",
        "text": "诸葛亮",
        "family": "诸葛",
        "given": ["亮"],
    }
    assert read["gender"] == "male"
    assert Resident.objects.get(public_id=patient.id).id_number == number

    read["telecom"] = [{"system": "phone", "value": "13600000022"}]
    read.save()
    assert Resident.objects.get(public_id=patient.id).phone == "13600000022"


def test_resident_token_reads_own_patient_and_gets_404_for_another(client_for, live_cast):
    client = client_for(live_cast.zhao_user)

    own = client.reference("Patient", live_cast.zhao.public_id).to_resource()
    assert own.id == live_cast.zhao.public_id
    with pytest.raises(ResourceNotFound):
        client.reference("Patient", live_cast.wang.public_id).to_resource()


@pytest.mark.parametrize(
    "extra",
    [
        {"identifier": [{"system": ID_SYSTEM, "value": bad_check_digit(valid_id(22))}]},
        {"birthDate": "31/12/1960"},
    ],
)
def test_invalid_patient_is_a_400_outcome_and_writes_nothing(client_for, live_cast, extra):
    client = client_for(live_cast.director)
    before = counts()

    patient = client.resource("Patient", **{**patient_body("吕布", valid_id(22)), **extra})
    with pytest.raises(OperationOutcome) as caught:
        patient.save()

    issue = caught.value.resource["issue"][0]
    assert issue["severity"] == "error"
    assert issue["expression"][0] in {"Patient.identifier", "Patient.birthDate"}
    assert counts() == before


def _transaction(*patients, if_none_exist=False):
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{i}",
                "resource": body,
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    **(
                        {"ifNoneExist": f"identifier={ID_SYSTEM}|{body['identifier'][0]['value']}"}
                        if if_none_exist
                        else {}
                    ),
                },
            }
            for i, body in enumerate(patients)
        ],
    }


def test_transaction_with_an_invalid_patient_writes_nothing(client_for, live_cast):
    client = client_for(live_cast.director)
    before = counts()

    with pytest.raises(OperationOutcome) as caught:
        client.execute(
            "",
            data=_transaction(
                patient_body("貂蝉", valid_id(23, female=True)),
                patient_body("董卓", bad_check_digit(valid_id(24))),
            ),
        )

    assert caught.value.resource["issue"][0]["expression"] == [
        "Bundle.entry[1].resource.identifier"
    ]
    assert counts() == before


def test_batch_keeps_the_valid_patient(client_for, live_cast):
    client = client_for(live_cast.director)
    residents = Resident.objects.count()
    payload = _transaction(
        patient_body("貂蝉", valid_id(23, female=True)),
        patient_body("董卓", bad_check_digit(valid_id(24))),
    )
    payload["type"] = "batch"

    response = client.execute("", data=payload)

    assert [e["response"]["status"] for e in response["entry"]] == [
        "201 Created",
        "400 Bad Request",
    ]
    assert response["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert Resident.objects.count() == residents + 1


def test_reposting_a_transaction_stores_nothing_new(client_for, live_cast):
    client = client_for(live_cast.director)
    payload = _transaction(
        patient_body("关羽", valid_id(25)), patient_body("张飞", valid_id(26)), if_none_exist=True
    )

    first = client.execute("", data=payload)
    residents = Resident.objects.count()
    second = client.execute("", data=payload)

    assert [e["response"]["status"] for e in first["entry"]] == ["201 Created"] * 2
    assert [e["response"]["status"] for e in second["entry"]] == ["200 OK"] * 2
    assert [e["resource"]["id"] for e in second["entry"]] == [
        e["resource"]["id"] for e in first["entry"]
    ]
    assert Resident.objects.count() == residents


def test_paging_with_count_1_through_fhirpy(client_for, live_cast):
    client = client_for(live_cast.director)
    search = client.resources("Patient").limit(1)

    assert len(search.fetch()) == 1
    assert search.count() == 3
    every = list(search)  # follows the Bundle's next links

    assert sorted(p.id for p in every) == sorted(
        [live_cast.wang.public_id, live_cast.li.public_id, live_cast.zhao.public_id]
    )
