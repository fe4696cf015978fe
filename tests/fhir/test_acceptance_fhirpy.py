"""Issue 3 acceptance through a real FHIR client (fhirpy SyncFHIRClient, live server):
create a Patient, find it by identifier, post a transaction Bundle of readings, search them
by code and date, re-post it (nothing new), and an invalid resource (400, nothing written)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fhirpy.base.exceptions import OperationOutcome

from careloop.core import clock
from careloop.observations.models import Alert, Observation
from tests.fhir.conftest import ID_SYSTEM, valid_id
from tests.fhir.test_fhirpy_client import client_for, live_cast  # noqa: F401 (fixtures)
from tests.fhir.test_observation import bp_body, simple_body, transaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_acceptance_with_fhirpy(client_for, live_cast):  # noqa: F811
    client = client_for(live_cast.director)
    number = valid_id(61)
    patient = client.resource(
        "Patient", identifier=[{"system": ID_SYSTEM, "value": number}], name=[{"text": "欧阳娜"}]
    )
    patient.save()
    found = client.resources("Patient").search(identifier=f"{ID_SYSTEM}|{number}").fetch()
    assert [p.id for p in found] == [patient.id]

    ref = f"Patient/{patient.id}"
    now = clock.now()
    when = [(now - timedelta(hours=h)).isoformat() for h in (1, 2, 30)]
    bundle = transaction(
        bp_body(ref, 185, 115, identifier="acc-bp", when=when[0]),
        simple_body(ref, "14770-2", 6.4, "mmol/L", identifier="acc-glu", when=when[1]),
        simple_body(ref, "55423-8", 8000, "{steps}", identifier="acc-steps", when=when[2]),
    )
    response = client.execute("", method="post", data=bundle)
    assert [e["response"]["status"] for e in response["entry"]] == ["201 Created"] * 3

    since = (now - timedelta(days=1)).isoformat()
    recent = (
        client.resources("Observation")
        .search(patient=patient.id)
        .search(date__ge=since)
        .fetch_all()
    )
    assert len(recent) == 2
    bps = (
        client.resources("Observation")
        .search(patient=patient.id, code="http://loinc.org|85354-9")
        .search(date__ge=since, date__lt=now.isoformat())
        .fetch()
    )
    assert [o["component"][0]["valueQuantity"]["value"] for o in bps] == [185]

    count = Observation.objects.count()
    again = client.execute("", method="post", data=bundle)
    assert [e["response"]["status"] for e in again["entry"]] == ["200 OK"] * 3
    assert Observation.objects.count() == count

    alert = Alert.objects.get(resident__public_id=patient.id)
    assert (alert.rule_code, alert.severity) == ("bp-high", "urgent")

    invalid = client.resource("Observation", **{
        k: v for k, v in bp_body(ref, 120, 160).items() if k != "resourceType"
    })  # fmt: skip
    with pytest.raises(OperationOutcome) as refused:
        invalid.save()
    assert "component[1].valueQuantity.value" in str(refused.value)
    assert Observation.objects.count() == count
