"""Transaction responses built as JSON (not through the R4B models): ``Prefer:
return=minimal`` entries still carry status, location, fullUrl and lastModified; the full
representation is valid R4B and byte-for-byte what the R4B models would have written."""

from __future__ import annotations

import json
from datetime import timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation as FhirObservation

from careloop.core import clock
from careloop.fhir.context import Caller, FhirContext
from careloop.fhir.registry import ResourceHandler, get_handler
from careloop.observations.models import Observation
from tests.fhir.test_observation import bp_body, device_client, monitor, simple_body, transaction

__all__ = ["monitor"]  # the fixture, used by a test here


def _readings(cast, identifier_prefix="r"):
    patient = f"Patient/{cast.wang.public_id}"
    return [
        bp_body(patient, 128, 82, identifier=f"{identifier_prefix}-1"),
        simple_body(patient, "14770-2", 6.2, "mmol/L", identifier=f"{identifier_prefix}-2"),
        simple_body(patient, "55423-8", 5400, "{steps}"),
        # a time in another zone: rendered as given, as the R4B models would
        simple_body(
            patient, "8310-5", 36.5, "Cel",
            when=(clock.now() - timedelta(hours=1))
            .astimezone(dt_timezone(timedelta(hours=8))).isoformat(),
        ),
    ]  # fmt: skip


def test_minimal_transaction_entries_have_status_location_and_last_modified(fhir, cast):
    response = fhir(cast.doctor_a).post(
        "/", transaction(*_readings(cast)), HTTP_PREFER="return=minimal"
    )

    assert response.status_code == 200, response.json()
    parsed = Bundle.model_validate_json(response.content)
    assert parsed.type == "transaction-response"
    stored = {obs.public_id: obs for obs in Observation.objects.all()}
    assert len(parsed.entry) == len(stored) == 4
    for entry in parsed.entry:
        assert entry.resource is None
        assert entry.response.status == "201 Created"
        kind, _slash, pid = entry.response.location.partition("/")
        assert kind == "Observation" and pid in stored
        assert entry.fullUrl == f"http://testserver/fhir/r4/Observation/{pid}"
        assert entry.response.lastModified == stored[pid].created_at

    again = fhir(cast.doctor_a).post(
        "/", transaction(*_readings(cast)[:2]), HTTP_PREFER="return=minimal"
    )
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 2
    assert all("resource" not in e and e["response"]["location"] for e in again.json()["entry"])


def test_representation_is_valid_r4b_and_what_the_models_write(fhir, cast):
    response = fhir(cast.doctor_a).post("/", transaction(*_readings(cast)))

    assert response.status_code == 200, response.json()
    parsed = Bundle.model_validate_json(response.content)
    handler = get_handler("Observation")
    ctx = FhirContext(caller=Caller(user=cast.doctor_a, via="token"), base_url="")
    for raw, entry in zip(response.json()["entry"], parsed.entry, strict=True):
        assert entry.response.location == f"Observation/{entry.resource.id}"
        FhirObservation.model_validate(raw["resource"])
        obs = Observation.objects.select_related("resident", "device").get(
            public_id=entry.resource.id
        )
        # The same content as the stored reading through the models (a time sent with an
        # offset is answered with it: the same instant as the stored UTC one).
        assert FhirObservation.model_validate(raw["resource"]) == handler.to_fhir(ctx, obs)


def test_fast_observation_json_equals_the_r4b_path(cast, monitor):
    """``to_fhir_json`` against the generic default (``to_fhir`` → R4B → JSON), for the
    value shapes: integral, decimal, BP panel, a device, non-UTC and microsecond times, and a
    reading freshly built (values as the service left them, not re-read)."""
    handler = get_handler("Observation")
    ctx = FhirContext(caller=Caller(user=cast.doctor_a, via="token"), base_url="")
    now = clock.now().replace(microsecond=123456)
    cases = [
        Observation(code="85354-9", value=Decimal("131"), value2=Decimal("84")),
        Observation(code="14770-2", value=Decimal("6.2")),
        Observation(code="14770-2", value=Decimal("6")),
        Observation(code="8310-5", value=Decimal("36.50")),
        Observation(code="55423-8", value=Decimal("5400"), identifier="steps-1"),
        Observation(code="39156-5", value=Decimal("22.4"), device=monitor.device),
    ]
    tz8 = dt_timezone(timedelta(hours=8))
    for number, obs in enumerate(cases):
        obs.public_id = f"obs{number}"
        obs.resident = cast.wang
        obs.created_at = now
        obs.effective_at = (now - timedelta(minutes=number)).astimezone(tz8) if number % 2 else now
        fast = handler.to_fhir_json(ctx, obj=obs)
        generic = ResourceHandler.to_fhir_json(handler, ctx, obs)
        assert json.dumps(fast) == json.dumps(generic), obs.code
        FhirObservation.model_validate(fast)


def test_device_transaction_representation(client, cast, monitor):
    api = device_client(client, monitor.key)

    response = api.post("/", transaction(bp_body(None, 130, 85, identifier="dev-t1")))

    assert response.status_code == 200, response.json()
    (entry,) = Bundle.model_validate_json(response.content).entry
    assert entry.resource.device.identifier.value == monitor.device.public_id
    assert entry.response.status == "201 Created"
