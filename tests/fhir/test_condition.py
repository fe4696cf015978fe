"""FHIR Condition ↔ the health profile's ICD-10 conditions."""

from __future__ import annotations

from fhir.resources.R4B.condition import Condition

from careloop.residents import services
from careloop.residents.models import ResidentCondition
from tests.fhir.conftest import outcome_issues

ICD10 = "http://hl7.org/fhir/sid/icd-10"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def condition_body(patient, code="I10", status="active", **extra):
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
        "code": {"coding": [{"system": ICD10, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        **extra,
    }


def test_create_read_search_and_resolve(fhir, cast):
    api = fhir(cast.doctor_a)
    created = api.post("/Condition", condition_body(cast.wang.public_id, "E11.9",
                                                   onsetDateTime="2020-05-01"))  # fmt: skip
    assert created.status_code == 201, created.json()
    entry = ResidentCondition.objects.get()
    assert (entry.condition.code, str(entry.onset_date), entry.source) == (
        "E11", "2020-05-01", "fhir"
    )  # fmt: skip
    body = Condition.model_validate(created.json())
    assert body.code.coding[0].code == "E11"

    found = api.get("/Condition", patient=cast.wang.public_id, code="E11",
                    **{"clinical-status": "active"}).json()  # fmt: skip
    assert [e["resource"]["id"] for e in found["entry"]] == [entry.public_id]

    resolved = api.put(
        f"/Condition/{entry.public_id}",
        {**created.json(), "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "resolved"}]},
         "abatementDateTime": "2024-01-02"},
    )  # fmt: skip
    assert resolved.status_code == 200, resolved.json()
    entry.refresh_from_db()
    assert (entry.status, str(entry.resolved_on)) == ("resolved", "2024-01-02")
    assert api.get("/Condition", **{"clinical-status": "active"}).json()["total"] == 0


def test_duplicate_active_is_409_and_unknown_code_400(fhir, cast):
    services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    api = fhir(cast.doctor_a)

    duplicate = api.post("/Condition", condition_body(cast.wang.public_id, "I10"))
    unknown = api.post("/Condition", condition_body(cast.wang.public_id, "Z99.9"))

    assert duplicate.status_code == 409
    assert unknown.status_code == 400
    assert outcome_issues(unknown)[0]["expression"] == ["Condition.code"]
    assert ResidentCondition.objects.count() == 1


def test_scope_other_team_cannot_see(fhir, cast):
    entry = services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")

    assert fhir(cast.doctor_b).get(f"/Condition/{entry.public_id}").status_code == 404
    assert fhir(cast.doctor_b).get("/Condition").json()["total"] == 0
    assert fhir(cast.wang_user).get(f"/Condition/{entry.public_id}").status_code == 200
    create = fhir(cast.doctor_b).post("/Condition", condition_body(cast.wang.public_id, "E11"))
    assert create.status_code == 404
