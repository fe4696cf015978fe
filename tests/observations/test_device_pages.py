"""Device pages on the workbench record: the Devices panel, registering a device with its token
shown once (in the POST response only), revoking it after a confirmation step, scope and roles,
nothing written on bad input, and the page's content security policy."""

from __future__ import annotations

import pytest
from django.test import Client

from careloop.core.models import AuditEvent
from careloop.observations.models import Device, Observation
from tests.observations.conftest import ago, device_auth
from tests.observations.test_pages import assert_no_inline_script_or_style, english, record_url

JSON = "application/json"


def register_url(resident) -> str:
    return f"/w/residents/{resident.public_id}/devices/"


def revoke_url(device) -> str:
    return f"/w/residents/{device.resident.public_id}/devices/{device.public_id}/revoke/"


def post_reading(key: str, identifier: str = "r1"):
    """A reading sent with the device token alone (a fresh client: no staff session)."""
    reading = {"code": "85354-9", "systolic": 128, "diastolic": 80,
               "effective_at": ago(minutes=2).isoformat(), "identifier": identifier}  # fmt: skip
    body = {"readings": [reading]}
    return Client().post("/api/v1/observations", body, content_type=JSON, **device_auth(key))


def writes() -> tuple[int, int]:
    return Device.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def issued(client, cast):
    """A monitor registered through the page by nurse_a; the response and its token."""
    english(client)
    client.force_login(cast.nurse_a)
    response = client.post(
        register_url(cast.wang), {"kind": "bp_monitor", "serial": "BP-7", "label": "Bedroom"}
    )
    assert response.status_code == 201, response.content
    return response, response.context["token"]


# ---- the panel -------------------------------------------------------------------------------


def test_panel_lists_devices_with_a_register_form(client, cast, wang_monitor):
    english(client)
    client.force_login(cast.doctor_a)
    response = client.get(record_url(cast.wang))
    html = response.content.decode()
    assert 'id="devices"' in html
    assert f'data-device="{wang_monitor.device.public_id}"' in html
    assert "Blood pressure monitor" in html and "BP-0001" in html and "Never" in html
    assert revoke_url(wang_monitor.device) in html
    assert register_url(cast.wang) in html
    assert wang_monitor.key not in html
    assert_no_inline_script_or_style(response)


def test_panel_is_for_editors_only(client, cast, wang_monitor):
    client.force_login(cast.wang_user)
    assert client.get(record_url(cast.wang)).status_code == 403


# ---- registering -----------------------------------------------------------------------------


def test_register_shows_the_token_once(client, cast, issued):
    response, token = issued
    html = response.content.decode()
    device = Device.objects.get()
    assert token.startswith("cld_") and device.key_hash == Device.hash_key(token)
    assert (device.resident, device.kind, device.serial, device.label) == (
        cast.wang, "bp_monitor", "BP-7", "Bedroom"
    )  # fmt: skip
    assert token in html and f"Authorization: Bearer {token}" in html
    assert "it will not be shown again" in html
    assert "http://testserver/api/v1/observations" in html
    assert "http://testserver/fhir/r4/Observation" in html
    assert "no-store" in response["Cache-Control"]
    assert token not in response.get("Location", "")
    assert token not in str(dict(client.session))
    assert AuditEvent.objects.filter(action="careloop.device.registered").count() == 1
    assert_no_inline_script_or_style(response)
    # The token works for the device's resident...
    assert post_reading(token).status_code == 200
    assert Observation.objects.get().resident == cast.wang
    # ...and the record page never shows it again.
    again = client.get(record_url(cast.wang)).content.decode()
    assert device.public_id in again and "BP-7" in again
    assert token not in again


def test_register_is_post_only(client, cast):
    client.force_login(cast.doctor_a)
    assert client.get(register_url(cast.wang)).status_code == 405
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "toaster"}, "kind"),
        ({"kind": "scale", "serial": "S" * 65}, "serial"),
        ({"kind": "scale", "label": "L" * 101}, "label"),
    ],
)
def test_bad_input_writes_nothing(client, cast, data, field):
    english(client)
    client.force_login(cast.doctor_a)
    before = writes()
    response = client.post(register_url(cast.wang), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "cld_" not in response.content.decode()
    assert writes() == before
    assert_no_inline_script_or_style(response)


def test_serial_in_use_writes_nothing(client, cast, wang_monitor):
    english(client)
    client.force_login(cast.doctor_a)
    before = writes()
    response = client.post(register_url(cast.li), {"kind": "bp_monitor", "serial": "BP-0001"})
    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert writes() == before


# ---- revoking --------------------------------------------------------------------------------


def test_revoke_asks_first_then_the_token_fails(client, cast, issued):
    _, token = issued
    device = Device.objects.get()
    before = writes()
    ask = client.post(revoke_url(device))
    assert ask.status_code == 200
    assert 'name="confirm"' in ask.content.decode()
    assert_no_inline_script_or_style(ask)
    device.refresh_from_db()
    assert device.active and writes() == before
    assert client.get(revoke_url(device)).status_code == 405
    response = client.post(revoke_url(device), {"confirm": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == record_url(cast.wang) + "#devices"
    assert "The device is revoked" in response.content.decode()
    device.refresh_from_db()
    assert not device.active and device.revoked_at is not None
    assert AuditEvent.objects.filter(action="careloop.device.revoked").count() == 1
    assert post_reading(token).status_code == 401
    assert not Observation.objects.exists()


# ---- scope and roles -------------------------------------------------------------------------


def test_another_team_cannot_see_register_or_revoke(client, cast, wang_monitor):
    client.force_login(cast.doctor_b)
    before = writes()
    assert client.get(record_url(cast.wang)).status_code == 404
    assert client.post(register_url(cast.wang), {"kind": "scale"}).status_code == 404
    assert client.post(revoke_url(wang_monitor.device)).status_code == 404
    assert client.post(revoke_url(wang_monitor.device), {"confirm": "1"}).status_code == 404
    assert writes() == before
    wang_monitor.device.refresh_from_db()
    assert wang_monitor.device.active
    assert post_reading(wang_monitor.key).status_code == 200


def test_revoke_with_a_wrong_resident_in_the_url_is_not_found(client, cast, wang_monitor):
    client.force_login(cast.doctor_a)
    url = f"/w/residents/{cast.li.public_id}/devices/{wang_monitor.device.public_id}/revoke/"
    assert client.post(url, {"confirm": "1"}).status_code == 404
    wang_monitor.device.refresh_from_db()
    assert wang_monitor.device.active


@pytest.mark.parametrize("persona", ["cashier", "wang_user"])
def test_others_are_forbidden(client, cast, wang_monitor, persona):
    client.force_login(getattr(cast, persona))
    before = writes()
    assert client.post(register_url(cast.wang), {"kind": "scale"}).status_code == 403
    assert client.post(revoke_url(wang_monitor.device), {"confirm": "1"}).status_code == 403
    assert writes() == before
    wang_monitor.device.refresh_from_db()
    assert wang_monitor.device.active


def test_anonymous_is_sent_to_sign_in(client, cast, wang_monitor):
    response = client.post(register_url(cast.wang), {"kind": "scale"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Device.objects.exclude(pk=wang_monitor.device.pk).exists()
