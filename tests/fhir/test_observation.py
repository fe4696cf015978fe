"""FHIR Observation: mapping onto record_readings (LOINC, UCUM, BP panel), idempotent
identifiers, transaction Bundles recorded in one call, scoping, search and device tokens."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation as FhirObservation

from careloop.core import clock
from careloop.core.models import AuditEvent
from careloop.observations import services
from careloop.observations.models import Alert, Observation
from careloop.observations.services import readings
from tests.fhir.conftest import outcome_issues, patient_body, valid_id

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def at(minutes: int = 5) -> str:
    return (clock.now() - timedelta(minutes=minutes)).isoformat()


def bp_body(patient: str | None, systolic, diastolic, *, identifier=None, when=None):
    body = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "effectiveDateTime": when or at(),
        "component": [
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": {"value": systolic, "unit": "mmHg", "system": UCUM,
                                  "code": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": {"value": diastolic, "unit": "mmHg", "system": UCUM,
                                  "code": "mm[Hg]"},
            },
        ],
    }  # fmt: skip
    if patient:
        body["subject"] = {"reference": patient}
    if identifier:
        body["identifier"] = [{"system": "urn:test", "value": identifier}]
    return body


def simple_body(patient, code, value, unit, *, identifier=None, when=None):
    body = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": patient},
        "effectiveDateTime": when or at(),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    if identifier:
        body["identifier"] = [{"value": identifier}]
    return body


def transaction(*resources, full_urls=None):
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                **({"fullUrl": full_urls[i]} if full_urls and full_urls[i] else {}),
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for i, resource in enumerate(resources)
        ],
    }


def test_create_bp_maps_panel_and_validates(fhir, cast):
    response = fhir(cast.doctor_a).post(
        "/Observation", bp_body(f"Patient/{cast.wang.public_id}", 132, 84, identifier="bp-1")
    )

    assert response.status_code == 201, response.json()
    obs = Observation.objects.get()
    assert (obs.code, obs.value, obs.value2, obs.source) == ("85354-9", 132, 84, "clinic")
    assert obs.identifier == "bp-1"
    assert response["Location"].endswith(f"/Observation/{obs.public_id}")
    body = FhirObservation.model_validate(response.json())
    assert body.subject.reference == f"Patient/{cast.wang.public_id}"
    assert [c.code.coding[0].code for c in body.component] == ["8480-6", "8462-4"]
    assert [c.valueQuantity.value for c in body.component] == [132, 84]
    assert body.component[0].valueQuantity.code == "mm[Hg]"
    assert body.identifier[0].value == "bp-1"


def test_same_identifier_again_is_200_and_stores_nothing(fhir, cast):
    api = fhir(cast.doctor_a)
    body = bp_body(f"Patient/{cast.wang.public_id}", 132, 84, identifier="bp-1")
    first = api.post("/Observation", body)
    again = api.post("/Observation", body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Observation.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        (lambda p: bp_body(p, 320, 80), "Observation.component[0].valueQuantity.value"),
        (lambda p: bp_body(p, 120, 130), "Observation.component[1].valueQuantity.value"),
        (
            lambda p: simple_body(p, "14770-2", 80, "mmol/L"),
            "Observation.valueQuantity.value",
        ),
        (lambda p: simple_body(p, "14770-2", 6.1, "mg/dL"), "Observation.valueQuantity.code"),
        (lambda p: simple_body(p, "1234-5", 6.1, "mmol/L"), "Observation.code"),
        (
            lambda p: {**simple_body(p, "8867-4", 70, "/min"), "effectiveDateTime": "2025-01-01"},
            "Observation.effectiveDateTime",
        ),
    ],
)
def test_invalid_reading_is_400_with_expression_and_writes_nothing(fhir, cast, body, expression):
    api = fhir(cast.doctor_a)
    audits = AuditEvent.objects.count()

    response = api.post("/Observation", body(f"Patient/{cast.wang.public_id}"))

    assert response.status_code == 400
    assert expression in [e for issue in outcome_issues(response) for e in issue["expression"]]
    assert Observation.objects.count() == 0
    assert AuditEvent.objects.count() == audits


def test_transaction_bundle_is_one_record_readings_call(fhir, cast):
    patient = f"Patient/{cast.wang.public_id}"
    bundle = transaction(
        bp_body(patient, 128, 82, identifier="t-1"),
        simple_body(patient, "14770-2", 6.2, "mmol/L", identifier="t-2"),
        simple_body(patient, "55423-8", 5400, "{steps}", identifier="t-3"),
    )
    with mock.patch(
        "careloop.fhir.resources.observation.record_readings", wraps=readings.record_readings
    ) as used:
        response = fhir(cast.doctor_a).post("/", bundle)

    assert response.status_code == 200, response.json()
    assert used.call_count == 1 and len(used.call_args.kwargs["items"]) == 3
    parsed = Bundle.model_validate(response.json())
    assert [e.response.status for e in parsed.entry] == ["201 Created"] * 3
    assert Observation.objects.count() == 3

    again = fhir(cast.doctor_a).post("/", bundle)
    assert [e.response.status for e in Bundle.model_validate(again.json()).entry] == ["200 OK"] * 3
    assert Observation.objects.count() == 3


def test_transaction_with_new_patient_by_urn_uuid(fhir, cast):
    uuid = "urn:uuid:0b5c2f0e-9d41-4a8b-a0f7-000000000001"
    number = valid_id(41)
    bundle = transaction(
        patient_body("张伟", number), bp_body(uuid, 140, 90), full_urls=[uuid, None]
    )

    response = fhir(cast.director).post("/", bundle)

    assert response.status_code == 200, response.json()
    obs = Observation.objects.select_related("resident").get()
    assert obs.resident.id_number == number


def test_one_bad_entry_refuses_the_transaction_with_every_bad_entry_named(fhir, cast):
    patient = f"Patient/{cast.wang.public_id}"
    bundle = transaction(
        bp_body(patient, 120, 80),
        bp_body(patient, 400, 80),
        simple_body(patient, "59408-5", 30, "%"),
    )

    response = fhir(cast.doctor_a).post("/", bundle)

    assert response.status_code == 400
    expressions = [e for issue in outcome_issues(response) for e in issue["expression"]]
    assert "Bundle.entry[1].resource.component[0].valueQuantity.value" in expressions
    assert "Bundle.entry[2].resource.valueQuantity.value" in expressions
    assert Observation.objects.count() == 0


def test_batch_keeps_the_good_entries(fhir, cast):
    patient = f"Patient/{cast.wang.public_id}"
    bundle = transaction(bp_body(patient, 120, 80), bp_body(patient, 400, 80))
    bundle["type"] = "batch"

    response = fhir(cast.doctor_a).post("/", bundle)

    parsed = Bundle.model_validate(response.json())
    assert [e.response.status[:3] for e in parsed.entry] == ["201", "400"]
    assert Observation.objects.count() == 1


def test_bp_185_115_via_fhir_opens_one_urgent_alert(fhir, cast):
    patient = f"Patient/{cast.wang.public_id}"
    api = fhir(cast.doctor_a)
    assert api.post("/Observation", bp_body(patient, 185, 115)).status_code == 201
    assert api.post("/Observation", bp_body(patient, 186, 114, when=at(2))).status_code == 201

    alert = Alert.objects.get(resident=cast.wang)
    assert (alert.rule_code, alert.severity, alert.status) == ("bp-high", "urgent", "open")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("doctor_a", 200), ("wang_user", 200), ("doctor_b", 404), ("zhao_user", 404),
     ("west_director", 404)],
)  # fmt: skip
def test_read_scope(fhir, cast, persona, status):
    obs = services.record_reading(
        actor=cast.doctor_a, resident=cast.wang, code="8867-4", value=72,
        effective_at=clock.now() - timedelta(hours=1),
    ).observation  # fmt: skip

    response = fhir(getattr(cast, persona)).get(f"/Observation/{obs.public_id}")

    assert response.status_code == status
    if status == 200:
        FhirObservation.model_validate(response.json())


def test_search_by_patient_code_and_date_pages_without_per_row_queries(fhir, cast):
    now = clock.now()
    for hours in range(1, 8):
        services.record_reading(
            actor=cast.doctor_a, resident=cast.wang, code="85354-9", value=120 + hours,
            value2=80, effective_at=now - timedelta(hours=hours),
        )  # fmt: skip
    services.record_reading(
        actor=cast.doctor_a, resident=cast.wang, code="8867-4", value=70,
        effective_at=now - timedelta(hours=1),
    )  # fmt: skip
    api = fhir(cast.doctor_a)
    params = {
        "patient": f"Patient/{cast.wang.public_id}",
        "code": f"{LOINC}|85354-9",
        "date": [f"ge{(now - timedelta(hours=6, minutes=30)).isoformat()}", f"lt{now.isoformat()}"],
        "_count": "4",
    }

    api.get("/metadata")  # the token's first use is recorded once
    api.get("/Observation", **params)
    with CaptureQueriesContext(connection) as few:
        api.get("/Observation", **{**params, "_count": "1"})
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/Observation", **params)
    page = Bundle.model_validate(response.json())

    assert response.status_code == 200
    assert page.total == 6
    assert [e.resource.component[0].valueQuantity.value for e in page.entry] == [121, 122, 123, 124]
    assert "next" in {link.relation for link in page.link}
    # the same queries for 1 or 4 rows: nothing per row
    assert len(queries) == len(few), [q["sql"] for q in queries]
    nxt = next(link.url for link in page.link if link.relation == "next")
    second = api.client.get(nxt, **api.headers)
    assert len(second.json()["entry"]) == 2


def test_search_by_plain_code_and_other_team_sees_nothing(fhir, cast):
    services.record_reading(
        actor=cast.doctor_a, resident=cast.wang, code="14770-2", value=6.1,
        effective_at=clock.now() - timedelta(hours=1),
    )  # fmt: skip
    mine = fhir(cast.doctor_a).get("/Observation", patient=cast.wang.public_id, code="14770-2")
    theirs = fhir(cast.doctor_b).get("/Observation", patient=cast.wang.public_id)

    assert mine.json()["total"] == 1
    assert mine.json()["entry"][0]["resource"]["valueQuantity"] == {
        "value": 6.1, "unit": "mmol/L", "system": UCUM, "code": "mmol/L"
    }  # fmt: skip
    assert theirs.json()["total"] == 0


# ---- device tokens -----------------------------------------------------------------------------


@pytest.fixture
def monitor(cast):
    return services.register_device(
        actor=cast.doctor_a, resident=cast.wang, kind="bp_monitor", serial="BP-9"
    )


def device_client(client, key):
    from tests.fhir.conftest import Fhir

    api = Fhir(client)
    api.headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return api


def test_device_creates_for_its_resident(client, cast, monitor):
    api = device_client(client, monitor.key)

    response = api.post("/Observation", bp_body(None, 130, 85, identifier="dev-1"))
    again = api.post("/Observation", bp_body(None, 130, 85, identifier="dev-1"))

    assert (response.status_code, again.status_code) == (201, 200), response.json()
    obs = Observation.objects.get()
    assert (obs.resident, obs.device, obs.source) == (cast.wang, monitor.device, "device")
    assert response.json()["device"]["identifier"]["value"] == monitor.device.public_id


def test_device_cannot_write_for_another_resident_or_read(client, cast, monitor):
    api = device_client(client, monitor.key)

    other = api.post("/Observation", bp_body(f"Patient/{cast.zhao.public_id}", 130, 85))
    read = api.get("/Observation", patient=cast.wang.public_id)
    patient = api.get(f"/Patient/{cast.wang.public_id}")

    assert other.status_code == 400
    assert outcome_issues(other)[0]["expression"] == ["Observation.subject"]
    assert (read.status_code, patient.status_code) == (403, 403)
    assert Observation.objects.count() == 0


def test_revoked_device_token_is_401(client, cast, monitor):
    services.revoke_device(actor=cast.doctor_a, device=monitor.device)

    response = device_client(client, monitor.key).post("/Observation", bp_body(None, 130, 85))

    assert response.status_code == 401


def test_metadata_lists_observation(fhir, cast):
    statement = fhir(None).get("/metadata").json()
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {"Observation", "Condition", "QuestionnaireResponse"} <= set(types)
    assert {p["name"] for p in types["Observation"]["searchParam"]} >= {"patient", "code", "date"}
