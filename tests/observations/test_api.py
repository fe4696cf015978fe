"""The observations API end to end: devices with their own tokens, manual entry, batch and
transaction bodies, alerts seen by the care team only, acknowledgement."""

from __future__ import annotations

import pytest

from careloop.core.models import AuditEvent
from careloop.observations.models import Alert, Device, Observation
from tests.observations.conftest import ago, bearer, device_auth

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JSON = "application/json"


def post(client, url, body, auth):
    return client.post(url, body, content_type=JSON, **auth, **EN)


def reading(systolic=128, diastolic=80, **extra):
    return {"code": "85354-9", "systolic": systolic, "diastolic": diastolic,
            "effective_at": ago(minutes=2).isoformat(), **extra}  # fmt: skip


@pytest.fixture
def monitor(client, cast):
    response = post(
        client, f"/api/v1/residents/{cast.wang.public_id}/devices",
        {"kind": "bp_monitor", "serial": "BP-9"}, bearer(cast.doctor_a),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def test_register_device_returns_its_token_once(client, cast, monitor):
    assert monitor["token"].startswith("cld_")
    device = Device.objects.get(public_id=monitor["id"])
    assert device.key_hash == Device.hash_key(monitor["token"])
    assert monitor["token"] not in str(Device.objects.values_list())
    listed = client.get(
        f"/api/v1/residents/{cast.wang.public_id}/devices", **bearer(cast.nurse_a)
    ).json()
    assert [d["id"] for d in listed] == [monitor["id"]]
    assert "token" not in listed[0]


def test_register_device_outside_scope_is_404(client, cast):
    response = post(
        client, f"/api/v1/residents/{cast.wang.public_id}/devices", {"kind": "scale"},
        bearer(cast.doctor_b),
    )  # fmt: skip
    assert response.status_code == 404
    assert not Device.objects.exists()


def test_device_posts_batch_and_retry_stores_nothing_twice(client, cast, monitor):
    auth = device_auth(monitor["token"])
    body = {"readings": [reading(identifier="r1"), reading(400, 80, identifier="r2")]}
    first = post(client, "/api/v1/observations", body, auth)
    assert first.status_code == 200, first.content
    data = first.json()
    assert (data["created"], data["existing"], data["errors"]) == (1, 0, 1)
    assert data["results"][1]["error"]["fields"] == {
        "systolic": ["Enter a value from 50 to 300 mm[Hg]."]
    }
    retry = post(client, "/api/v1/observations", body, auth).json()
    assert [r["status"] for r in retry["results"]] == ["existing", "error"]
    assert retry["results"][0]["id"] == data["results"][0]["id"]
    assert Observation.objects.count() == 1


def test_transaction_body_with_a_bad_item_is_400_and_writes_nothing(client, cast, monitor):
    body = {
        "mode": "transaction",
        "readings": [reading(identifier="a"), reading(120, 130, identifier="b")],
    }
    response = post(client, "/api/v1/observations", body, device_auth(monitor["token"]))
    assert response.status_code == 400
    assert response.json() == {
        "code": "observations.batch_refused",
        "message": "No reading was stored: correct the marked items.",
        "fields": {
            "readings.1.diastolic": ["The diastolic pressure must be lower than the systolic."]
        },
    }
    assert Observation.objects.count() == 0


def test_misplaced_value_field_is_reported(client, cast, monitor):
    body = {"mode": "transaction", "readings": [{**reading(), "value": 120}]}
    response = post(client, "/api/v1/observations", body, device_auth(monitor["token"]))
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["readings.0.value"]


def test_revoked_device_token_is_401(client, cast, monitor):
    response = client.delete(f"/api/v1/devices/{monitor['id']}", **bearer(cast.doctor_a))
    assert response.status_code == 204
    body = {"readings": [reading()]}
    response = post(client, "/api/v1/observations", body, device_auth(monitor["token"]))
    assert response.status_code == 401
    assert Observation.objects.count() == 0


def test_device_token_opens_nothing_else(client, cast, monitor):
    response = client.get(
        f"/api/v1/residents/{cast.wang.public_id}/readings", **device_auth(monitor["token"])
    )
    assert response.status_code == 401


def test_revoke_outside_scope_is_404(client, cast, monitor):
    response = client.delete(f"/api/v1/devices/{monitor['id']}", **bearer(cast.doctor_b))
    assert response.status_code == 404
    assert Device.objects.get().active


def test_acceptance_alert_seen_by_care_team_only_and_acknowledged(client, cast, monitor):
    auth = device_auth(monitor["token"])
    post(client, "/api/v1/observations", {"readings": [reading(185, 115, identifier="1")]}, auth)
    post(client, "/api/v1/observations", {"readings": [reading(183, 112, identifier="2")]}, auth)
    url = f"/api/v1/residents/{cast.wang.public_id}/alerts"

    alerts = client.get(url, **bearer(cast.doctor_a), **EN).json()
    assert len(alerts) == 1
    alert = alerts[0]
    assert {k: alert[k] for k in ("rule", "rule_name", "severity", "status", "reading_count")} == {
        "rule": "bp-high", "rule_name": "High blood pressure", "severity": "urgent",
        "status": "open", "reading_count": 2,
    }  # fmt: skip
    assert alert["summary"] == "183/112 mm[Hg]"
    assert alert["acknowledged_at"] is None

    assert client.get(url, **bearer(cast.doctor_b)).status_code == 404
    ack_url = f"{url}/{alert['id']}/acknowledge"
    assert client.post(ack_url, **bearer(cast.doctor_b)).status_code == 404
    zhao_url = f"/api/v1/residents/{cast.zhao.public_id}/alerts/{alert['id']}/acknowledge"
    assert client.post(zhao_url, **bearer(cast.doctor_b)).status_code == 404

    response = client.post(ack_url, **bearer(cast.nurse_a))
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_by"] == "Nurse_A"
    assert Alert.objects.get().status == "acknowledged"


def test_resident_enters_own_bp_but_not_for_another(client, cast):
    url = f"/api/v1/residents/{cast.wang.public_id}/readings"
    body = {"code": "bp", "systolic": 138, "diastolic": 86,
            "effective_at": ago(minutes=1).isoformat(), "identifier": "app-1"}  # fmt: skip
    created = post(client, url, body, bearer(cast.wang_user))
    assert created.status_code == 201, created.content
    assert created.json()["source"] == "manual"
    assert (created.json()["systolic"], created.json()["diastolic"]) == (138.0, 86.0)
    assert post(client, url, body, bearer(cast.wang_user)).status_code == 200  # retry
    assert post(client, url, body, bearer(cast.zhao_user)).status_code == 404
    batch = {"readings": [{**body, "resident": cast.wang.public_id, "identifier": "z"}]}
    result = post(client, "/api/v1/observations", batch, bearer(cast.zhao_user)).json()
    assert result["results"][0]["error"]["code"] == "residents.not_found"
    assert Observation.objects.count() == 1
    assert Alert.objects.get().severity == "routine"  # home reading ≥ 135/85


def test_single_reading_out_of_range_is_400_with_field(client, cast):
    url = f"/api/v1/residents/{cast.wang.public_id}/readings"
    body = {"code": "8867-4", "value": 400, "effective_at": ago(minutes=1).isoformat()}
    response = post(client, url, body, bearer(cast.doctor_a))
    assert response.status_code == 400
    assert response.json()["fields"] == {"value": ["Enter a value from 20 to 300 /min."]}
    assert Observation.objects.count() == 0


@pytest.mark.parametrize("moment", [0, 1700000000, "1700000000", "0.5"])
def test_a_time_given_as_a_number_is_400_not_1970(client, cast, moment):
    """pydantic would read a number as a Unix timestamp; the API wants ISO 8601 text."""
    url = f"/api/v1/residents/{cast.wang.public_id}/readings"
    body = {"code": "8867-4", "value": 72, "effective_at": moment}
    response = post(client, url, body, bearer(cast.doctor_a))
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "effective_at": ["Enter a valid date and time (ISO 8601, with its time zone)."]
    }
    assert Observation.objects.count() == 0


def test_readings_list_filters_and_scopes(client, cast):
    url = f"/api/v1/residents/{cast.wang.public_id}/readings"
    auth = bearer(cast.doctor_a)
    for minutes, code, value in ((50, "8867-4", 70), (40, "8867-4", 72), (30, "59408-5", 97)):
        body = {"code": code, "value": value, "effective_at": ago(minutes=minutes).isoformat()}
        assert post(client, url, body, auth).status_code == 201
    listed = client.get(url, {"code": "heart_rate"}, **auth).json()
    assert listed["count"] == 2
    assert [r["value"] for r in listed["items"]] == [72.0, 70.0]
    assert listed["items"][0]["unit"] == "/min"
    since = client.get(url, {"since": ago(minutes=45).isoformat()}, **auth).json()
    assert since["count"] == 2
    assert client.get(url, **bearer(cast.doctor_b)).status_code == 404
    assert client.get(url, {"code": "nope"}, **auth).status_code == 400
    assert AuditEvent.objects.filter(
        action="careloop.resident.viewed", detail__purpose="readings"
    ).exists()


def test_list_readings_query_count_is_flat(client, cast, django_assert_max_num_queries):
    url = f"/api/v1/residents/{cast.wang.public_id}/readings"
    auth = bearer(cast.doctor_a)
    batch = {"readings": [
        {"resident": cast.wang.public_id, "code": "8867-4", "value": 60 + i,
         "effective_at": ago(minutes=100 - i).isoformat()} for i in range(40)
    ]}  # fmt: skip
    assert post(client, "/api/v1/observations", batch, auth).json()["created"] == 40
    with django_assert_max_num_queries(12):
        assert client.get(url, **auth).json()["count"] == 40
