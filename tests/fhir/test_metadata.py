"""The CapabilityStatement is public, valid R4B, and lists exactly what the registry serves."""

from __future__ import annotations

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from careloop.fhir import registry
from tests.fhir.conftest import FHIR_JSON


def test_metadata_is_a_valid_capability_statement_listing_patient(client):
    response = client.get("/fhir/r4/metadata", HTTP_ACCEPT=FHIR_JSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    statement = CapabilityStatement.model_validate_json(response.content)
    assert statement.fhirVersion == "4.3.0"
    assert statement.kind == "instance"
    rest = statement.rest[0]
    assert rest.mode == "server"
    assert [i.code for i in rest.interaction] == ["transaction", "batch"]
    assert [r.type for r in rest.resource] == sorted(h.resource_type for h in registry.handlers())
    patient = next(r for r in rest.resource if r.type == "Patient")
    assert [i.code for i in patient.interaction] == ["read", "search-type", "create", "update"]
    assert {(p.name, p.type) for p in patient.searchParam} == {
        ("_id", "token"),
        ("identifier", "token"),
        ("name", "string"),
        ("birthdate", "date"),
        ("gender", "token"),
        ("phone", "token"),
    }
    assert patient.conditionalCreate is True
    assert patient.updateCreate is False
    assert statement.implementation.url == "http://testserver/fhir/r4/"


def test_metadata_refuses_xml(client):
    response = client.get("/fhir/r4/metadata", HTTP_ACCEPT="application/fhir+xml")

    assert response.status_code == 406
    assert response.json()["resourceType"] == "OperationOutcome"


def test_metadata_accepts_plain_json(client):
    response = client.get("/fhir/r4/metadata", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["resourceType"] == "CapabilityStatement"
